"""Deterministic generator of the Mumbai catalogue: talents, projects and roles.

Everything derives from one ``random.Random(seed)``, so the same version and seed always give the
same rows (the database cache is keyed by both). Talents are drawn from twelve archetypes, each with
two signature skills; the archetype is the ground-truth label behind the recommendation quality set.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

GENERATOR_VERSION = 3

AREAS: tuple[str, ...] = (
    "andheri", "bandra", "juhu", "goregaon", "malad", "borivali", "powai", "dadar", "colaba", "worli",
    "versova", "khar", "santacruz", "kurla", "chembur", "thane", "navi-mumbai", "lokhandwala",
    "mira-road", "vile-parle",
)
LANGUAGES: tuple[str, ...] = (
    "hindi", "marathi", "english", "gujarati", "urdu", "tamil", "telugu", "bengali", "punjabi", "malayalam",
)
# Twelve archetypes x two signature skills; order matters (archetype i owns skills 2i and 2i+1).
SKILLS: tuple[str, ...] = (
    "acting", "emotional-drama", "theatre", "improv", "stunts", "martial-arts", "horse-riding", "driving",
    "dance-bollywood", "dance-contemporary", "dance-kathak", "tabla", "comedy", "mimicry", "voice-over",
    "dubbing", "singing", "guitar", "classical-music", "sitar", "anchoring", "accents", "modelling",
    "swimming",
)
ARCHETYPES = len(SKILLS) // 2
GENDERS: tuple[str, ...] = ("female", "male", "non-binary")
PROJECT_KINDS: tuple[str, ...] = ("film", "web-series", "advert", "theatre", "music-video")

FIRST_FEMALE: tuple[tuple[str, str], ...] = (
    ("Ananya", "अनन्या"), ("Diya", "दिया"), ("Isha", "ईशा"), ("Kavya", "काव्या"), ("Meera", "मीरा"),
    ("Priya", "प्रिया"), ("Riya", "रिया"), ("Saanvi", "सान्वी"), ("Tara", "तारा"), ("Zoya", "ज़ोया"),
    ("Aisha", "आयशा"), ("Neha", "नेहा"), ("Pooja", "पूजा"), ("Shreya", "श्रेया"), ("Tanvi", "तन्वी"),
    ("Nandini", "नंदिनी"), ("Radhika", "राधिका"), ("Sneha", "स्नेहा"), ("Aditi", "अदिति"), ("Gauri", "गौरी"),
    ("Ira", "इरा"), ("Mahi", "माही"), ("Naina", "नैना"), ("Sara", "सारा"),
)
FIRST_MALE: tuple[tuple[str, str], ...] = (
    ("Aarav", "आरव"), ("Vivaan", "विवान"), ("Aditya", "आदित्य"), ("Arjun", "अर्जुन"), ("Kabir", "कबीर"),
    ("Rohan", "रोहन"), ("Ishaan", "ईशान"), ("Vihaan", "विहान"), ("Rahul", "राहुल"),
    ("Siddharth", "सिद्धार्थ"), ("Karan", "करण"), ("Nikhil", "निखिल"), ("Varun", "वरुण"), ("Aman", "अमन"),
    ("Yash", "यश"), ("Dev", "देव"), ("Manav", "मानव"), ("Omkar", "ओंकार"), ("Pranav", "प्रणव"),
    ("Sameer", "समीर"), ("Tanmay", "तन्मय"), ("Zaid", "ज़ैद"), ("Imran", "इमरान"), ("Farhan", "फ़रहान"),
)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("Sharma", "शर्मा"), ("Patel", "पटेल"), ("Desai", "देसाई"), ("Joshi", "जोशी"), ("Kulkarni", "कुलकर्णी"),
    ("Deshmukh", "देशमुख"), ("Shah", "शाह"), ("Mehta", "मेहता"), ("Iyer", "अय्यर"), ("Nair", "नायर"),
    ("Khan", "ख़ान"), ("Shaikh", "शेख़"), ("Kapoor", "कपूर"), ("Malhotra", "मल्होत्रा"), ("Gupta", "गुप्ता"),
    ("Verma", "वर्मा"), ("Pawar", "पवार"), ("Jadhav", "जाधव"), ("Patil", "पाटिल"), ("Rao", "राव"),
    ("Menon", "मेनन"), ("Fernandes", "फ़र्नांडिस"), ("D'Souza", "डिसूज़ा"), ("Bhatt", "भट्ट"),
    ("Chopra", "चोपड़ा"), ("Sinha", "सिन्हा"), ("Banerjee", "बनर्जी"), ("Thakur", "ठाकुर"),
    ("Gaikwad", "गायकवाड़"), ("Sawant", "सावंत"),
)
TITLE_WORDS: tuple[str, ...] = (
    "Monsoon", "Marine Drive", "Local Train", "Chawl", "Dabbawala", "Filmistan", "Koliwada", "Sea Link",
    "Midnight", "Dharavi", "Gateway", "Tiffin", "Cutting Chai", "Rooftop", "Ganpati", "Bombay Talkies",
)
STUDIOS: tuple[str, ...] = (
    "Saat Samundar Films", "Kinara Pictures", "Bambai Studios", "Chaupati Productions", "Nukkad Media",
)
ROLE_TITLES: tuple[str, ...] = (
    "Lead", "Second lead", "Sidekick", "Narrator", "Featured dancer", "Ensemble", "Cameo", "Antagonist",
)


@dataclass(frozen=True, slots=True)
class Talent:
    id: int
    name: str
    name_hi: str
    gender: str
    age: int
    area: str
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    experience: int
    height_cm: int
    popularity: float
    archetype: int
    bio: str


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    title: str
    kind: str
    studio: str
    year: int


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    project_id: int
    title: str
    archetype: int
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    gender: str
    age_min: int
    age_max: int
    area: str


def _talent(rng: random.Random, talent_id: int) -> Talent:
    archetype = rng.randrange(ARCHETYPES)
    gender = rng.choices(GENDERS, weights=(48, 48, 4))[0]
    first_pool = FIRST_FEMALE if gender == "female" else FIRST_MALE if gender == "male" else (
        FIRST_FEMALE + FIRST_MALE
    )
    first, first_hi = rng.choice(first_pool)
    last, last_hi = rng.choice(SURNAMES)
    signature = (SKILLS[2 * archetype], SKILLS[2 * archetype + 1])
    extras = rng.sample([s for s in SKILLS if s not in signature], k=rng.randint(0, 2))
    # Hindi dominates the Mumbai market; a second and third language follow a local mix.
    languages = ["hindi"] if rng.random() < 0.85 else [rng.choice(LANGUAGES)]
    for lang in rng.sample(LANGUAGES, k=rng.randint(1, 2)):
        if lang not in languages:
            languages.append(lang)
    age = max(18, min(70, int(rng.gauss(24 + archetype * 1.5, 7))))
    experience = max(0, min(age - 16, int(rng.expovariate(1 / 6))))
    area = rng.choice(AREAS)
    popularity = round(rng.paretovariate(1.6) * (1 + experience / 10), 4)
    bio = (
        f"{first} works from {area.replace('-', ' ').title()} with {experience} years on set; "
        f"known for {signature[0].replace('-', ' ')} and {signature[1].replace('-', ' ')}."
    )
    return Talent(
        id=talent_id, name=f"{first} {last}", name_hi=f"{first_hi} {last_hi}", gender=gender, age=age,
        area=area, languages=tuple(languages), skills=(*signature, *extras), experience=experience,
        height_cm=int(rng.gauss(168 if gender == "male" else 158, 7)), popularity=popularity,
        archetype=archetype, bio=bio,
    )


def talents(seed: int, count: int) -> Iterator[Talent]:
    rng = random.Random(seed)
    for talent_id in range(1, count + 1):
        yield _talent(rng, talent_id)


def projects(seed: int, count: int = 80) -> list[Project]:
    rng = random.Random(seed + 1)
    out = []
    for project_id in range(1, count + 1):
        words = rng.sample(TITLE_WORDS, k=2)
        out.append(Project(project_id, f"{words[0]} {words[1]}", rng.choice(PROJECT_KINDS),
                           rng.choice(STUDIOS), rng.choice((2025, 2026))))
    return out


def roles(seed: int, project_count: int = 80, per_project: int = 5) -> list[Role]:
    rng = random.Random(seed + 2)
    out = []
    role_id = 1
    for project_id in range(1, project_count + 1):
        for _ in range(per_project):
            archetype = rng.randrange(ARCHETYPES)
            age_min = rng.choice((18, 20, 25, 30, 40))
            out.append(Role(
                id=role_id, project_id=project_id, title=rng.choice(ROLE_TITLES), archetype=archetype,
                skills=(SKILLS[2 * archetype], SKILLS[2 * archetype + 1]),
                languages=("hindi",) if rng.random() < 0.7 else (rng.choice(LANGUAGES),),
                gender=rng.choice(("female", "male", "any")), age_min=age_min, age_max=age_min + 15,
                area=rng.choice(AREAS),
            ))
            role_id += 1
    return out
