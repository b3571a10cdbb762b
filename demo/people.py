"""Chinese names, shop names, phone numbers and addresses, drawn from one seeded generator."""

import random

from demo import data, draw

_SURNAME_WEIGHTS = [1 / (rank + 8) for rank in range(len(data.SURNAMES))]


class Namer:
    """Draws names and numbers; phone numbers never repeat within one namer."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._phones: set[str] = set()
        self._surname_cum = draw.cumulative(_SURNAME_WEIGHTS)

    def surname(self) -> str:
        return self.rng.choices(data.SURNAMES, cum_weights=self._surname_cum)[0]

    def given_name(self) -> str:
        chars = data.GIVEN_CHARS
        if self.rng.random() < 0.3:
            return self.rng.choice(chars)
        return self.rng.choice(chars) + self.rng.choice(chars)

    def full_name(self) -> str:
        return self.surname() + self.given_name()

    def mobile(self) -> str:
        """A mainland mobile number 1[3-9]xxxxxxxxx, unique within this namer."""
        while True:
            number = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def village(self) -> str:
        return self.surname() + self.rng.choice(data.VILLAGE_SUFFIXES)

    def shop_name(self, business_type: str, owner: str, road: str, place: str) -> str:
        template = self.rng.choice(data.SHOP_NAME_TEMPLATES[business_type])
        return template.format(
            surname=owner[0],
            name=owner,
            word=self.rng.choice(data.SHOP_WORDS),
            road=road,
            place=place,
            village=self.village() if "{village}" in template else "",
        )
