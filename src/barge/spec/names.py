"""Random container names in Docker's adjective_surname style."""
from __future__ import annotations

import random

ADJECTIVES = (
    "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful",
    "blissful", "bold", "boring", "brave", "busy", "charming", "clever", "compassionate",
    "competent", "condescending", "confident", "cool", "cranky", "crazy", "dazzling", "determined",
    "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic",
    "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty", "funny",
    "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful",
    "hungry", "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen",
    "kind", "laughing", "loving", "lucid", "magical", "modest", "musing", "mystifying", "naughty",
    "nervous", "nice", "nifty", "nostalgic", "objective", "optimistic", "peaceful", "pedantic",
    "pensive", "practical", "priceless", "quirky", "quizzical", "recursing", "relaxed", "reverent",
    "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange", "stupefied",
    "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant",
    "vigilant", "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
)
SURNAMES = (
    "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin",
    "babbage", "banach", "bardeen", "bartik", "bassi", "bell", "bhabha", "bhaskara", "blackwell",
    "bohr", "booth", "borg", "bose", "boyd", "brahmagupta", "brattain", "brown", "carson", "cerf",
    "chandrasekhar", "chatelet", "clarke", "colden", "cori", "cray", "curie", "darwin", "davinci",
    "dijkstra", "dubinsky", "easley", "edison", "einstein", "elion", "engelbart", "euclid", "euler",
    "fermat", "fermi", "feynman", "franklin", "gagarin", "galileo", "gates", "gauss", "germain",
    "goldberg", "goldstine", "goldwasser", "golick", "goodall", "haibt", "hamilton", "hawking",
    "heisenberg", "hermann", "hodgkin", "hoover", "hopper", "hugle", "hypatia", "jackson",
    "jang", "jennings", "jepsen", "johnson", "joliot", "jones", "kalam", "kare", "keller", "kepler",
    "khorana", "kilby", "kirch", "knuth", "kowalevski", "lalande", "lamarr", "lamport", "leakey",
    "leavitt", "lewin", "lichterman", "liskov", "lovelace", "lumiere", "mahavira", "mayer",
    "mccarthy", "mcclintock", "mclean", "mcnulty", "meitner", "mendel", "mirzakhani", "montalcini",
    "moore", "morse", "murdock", "neumann", "newton", "nightingale", "nobel", "noether", "northcutt",
    "noyce", "panini", "pare", "pasteur", "payne", "perlman", "pike", "poincare", "poitras",
    "ptolemy", "raman", "ramanujan", "ride", "ritchie", "roentgen", "rosalind", "saha", "sammet",
    "shannon", "shaw", "shirley", "shockley", "sinoussi", "snyder", "spence", "stonebraker",
    "sutherland", "swanson", "swartz", "swirles", "tesla", "thompson", "torvalds", "turing",
    "varahamihira", "visvesvaraya", "volhard", "wescoff", "wiles", "williams", "wilson", "wing",
    "wozniak", "wright", "yalow", "yonath",
)


def random_name(retry: int = 0) -> str:
    rnd = random.SystemRandom()
    while True:
        name = f"{rnd.choice(ADJECTIVES)}_{rnd.choice(SURNAMES)}"
        if name != "boring_wozniak":   # as Docker: Steve Wozniak is not boring
            break
    if retry > 0:
        name += str(rnd.randint(0, 9))
    return name
