"""Pages that change context or save only when asked (WCAG 3.2.2) and name themselves (an h1)."""

import pytest
from django.urls import reverse

from csos.models import Membership, Role


@pytest.mark.django_db
def test_it_switches_workspace_only_with_its_visible_switch_button(login, alice, beta):
    Membership.dangerously_unscoped.create(workspace=beta, user=alice, role=Role.VIEWER)
    body = login(alice).get(reverse("member_list")).content.decode()
    switcher = body.split(f'action="{reverse("workspace_switch")}"', 1)[1].split("</form>", 1)[0]
    assert "data-autosubmit" not in switcher
    assert "<noscript>" not in switcher
    assert '<button type="submit" class="secondary">Switch</button>' in switcher


@pytest.mark.django_db
def test_it_heads_the_password_changed_page(login, bob):
    body = login(bob).get(reverse("password_change_done")).content.decode()
    assert "<h1>Password changed</h1>" in body
