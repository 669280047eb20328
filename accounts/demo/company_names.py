"""Plausible company names for the demo's customers, drawn from word lists by industry."""

from __future__ import annotations

import random

NAME_STARTS = (
    "Blue", "North", "Silver", "Bright", "Iron", "Red", "Granite", "Summit", "Cedar", "Harbor",
    "Oak", "Stone", "River", "Sun", "Clear", "Swift", "Green", "Star", "Frost", "Gold",
    "Maple", "Pine", "Storm", "True", "West", "East", "High", "Deep", "Crystal", "Copper",
    "Falcon", "Lake", "Moon", "Pioneer", "Quartz", "Rapid", "Sterling", "Vista", "Willow", "Zen",
)  # fmt: skip
NAME_ENDS = (
    "field", "stone", "wave", "point", "bridge", "gate", "leaf", "ridge", "crest", "line",
    "path", "works", "view", "port", "wood", "brook", "forge", "light", "mark", "haven",
    "peak", "shore", "vale", "wind", "spring", "dale", "ford", "hill", "rock", "well",
)  # fmt: skip
# Industries and the words companies in them put after their name.
INDUSTRIES = {
    "Software": ("Software", "Labs", "Systems", "Technologies"),
    "Financial services": ("Capital", "Financial", "Payments", "Partners"),
    "Healthcare": ("Health", "Medical", "Care", "Clinics"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Engineering"),
    "Retail": ("Retail", "Stores", "Outfitters", "Market"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport"),
    "Education": ("Learning", "Academy", "Education", "Institute"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting"),
    "Energy": ("Energy", "Power", "Renewables", "Utilities"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Connect"),
    "Professional services": ("Consulting", "Advisory", "Associates", "Group"),
    "Hospitality": ("Hotels", "Hospitality", "Resorts", "Travel"),
    "Insurance": ("Insurance", "Assurance", "Mutual", "Underwriters"),
    "Real estate": ("Properties", "Realty", "Estates", "Developments"),
    "Public sector": ("Services", "Authority", "Agency", "Council"),
}
INDUSTRY_NAMES = tuple(INDUSTRIES)
LEGAL_FORMS = ("", "", "", " Inc.", " Ltd", " GmbH", " LLC", " AG", " S.A.", " B.V.")


class CompanyNames:
    """Company names from word lists, unique while the lists last, then allowed to repeat."""

    def __init__(self, *, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next(self, industry: str) -> str:
        for _ in range(10):
            name = (
                f"{self.rng.choice(NAME_STARTS)}{self.rng.choice(NAME_ENDS)} "
                f"{self.rng.choice(INDUSTRIES[industry])}{self.rng.choice(LEGAL_FORMS)}"
            )
            if name not in self.used:
                break
        self.used.add(name)
        return name
