"""What the nurse reads to the patient: questions, answer statements and anchors, as
data beside each instrument (pure; used by the entry screen and the printed sheets).

The Oswestry Disability Index (version 2.1a: Fairbank JCT, Pynsent PB. The Oswestry
Disability Index. Spine 2000;25(22):2940–52) and the Neck Disability Index (Vernon H,
Mior S. The Neck Disability Index: a study of reliability and validity. J Manipulative
Physiol Ther 1991;14(7):409–15) are copyrighted questionnaires. The statements below
are PARAPHRASES written for this product: they follow each section's topic and the
order of its six levels (0 = no limitation … 5 = the most severe), so the score means
the same, but they are not the licensed wording. A clinic that needs the validated
wording (for a publication, a translation) obtains it from the rights holders and can
replace these texts here; the scoring does not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

PARAPHRASED = ("Statements paraphrased from the {name}; they keep each section's topic and "
               "the order of its six levels (0 to 5) but are not the licensed wording.")


@dataclass(frozen=True)
class SectionWording:
    question: str
    statements: tuple[str, str, str, str, str, str]  # levels 0 .. 5

    @property
    def asks(self) -> str | None:
        """The question, when it says more than the section's name ("Lifting things:")."""
        return self.question if self.question.endswith("?") else None


ODI = MappingProxyType({
    "pain_intensity": SectionWording("How strong is your pain right now?", (
        "I have no pain at the moment.",
        "The pain is very mild at the moment.",
        "The pain is moderate at the moment.",
        "The pain is fairly severe at the moment.",
        "The pain is very severe at the moment.",
        "The pain is the worst I can imagine at the moment.")),
    "personal_care": SectionWording("Washing, dressing and looking after yourself:", (
        "I look after myself normally, without extra pain.",
        "I look after myself normally, but it is very painful.",
        "Looking after myself is painful, and I am slow and careful.",
        "I need some help, but manage most of my personal care.",
        "I need help every day with most of my personal care.",
        "I do not get dressed, wash with difficulty and stay in bed.")),
    "lifting": SectionWording("Lifting things:", (
        "I can lift heavy weights without extra pain.",
        "I can lift heavy weights, but it gives extra pain.",
        "Pain stops me lifting heavy weights from the floor, but I manage if they are "
        "placed conveniently, e.g. on a table.",
        "Pain stops me lifting heavy weights, but I manage light to medium weights if "
        "they are placed conveniently.",
        "I can lift only very light weights.",
        "I cannot lift or carry anything.")),
    "walking": SectionWording("Walking:", (
        "Pain does not stop me walking any distance.",
        "Pain stops me walking more than about 1.5 km (1 mile).",
        "Pain stops me walking more than about 500 m (a quarter of a mile).",
        "Pain stops me walking more than about 100 m.",
        "I can only walk with a stick or crutches.",
        "I am in bed most of the time.")),
    "sitting": SectionWording("Sitting:", (
        "I can sit in any chair as long as I like.",
        "I can sit as long as I like only in my favourite chair.",
        "Pain stops me sitting for more than an hour.",
        "Pain stops me sitting for more than half an hour.",
        "Pain stops me sitting for more than ten minutes.",
        "Pain stops me sitting at all.")),
    "standing": SectionWording("Standing:", (
        "I can stand as long as I want without extra pain.",
        "I can stand as long as I want, but it gives extra pain.",
        "Pain stops me standing for more than an hour.",
        "Pain stops me standing for more than half an hour.",
        "Pain stops me standing for more than ten minutes.",
        "Pain stops me standing at all.")),
    "sleeping": SectionWording("Sleeping:", (
        "Pain never disturbs my sleep.",
        "Pain disturbs my sleep now and then.",
        "Because of pain I sleep less than 6 hours.",
        "Because of pain I sleep less than 4 hours.",
        "Because of pain I sleep less than 2 hours.",
        "Pain stops me sleeping at all.")),
    "sex_life": SectionWording("Sex life (if it applies):", (
        "My sex life is normal and causes no extra pain.",
        "My sex life is normal but causes some extra pain.",
        "My sex life is nearly normal but very painful.",
        "My sex life is severely limited by pain.",
        "My sex life is nearly absent because of pain.",
        "Pain prevents any sex life at all.")),
    "social_life": SectionWording("Social life:", (
        "My social life is normal and causes no extra pain.",
        "My social life is normal, but it increases the pain.",
        "Pain limits only my more energetic interests, e.g. sport.",
        "Pain has restricted my social life; I go out less often.",
        "Pain has restricted my social life to my home.",
        "Because of pain I have no social life.")),
    "travelling": SectionWording("Travelling:", (
        "I can travel anywhere without pain.",
        "I can travel anywhere, but it gives extra pain.",
        "Pain is bad, but I manage journeys of over two hours.",
        "Pain restricts me to journeys of less than an hour.",
        "Pain restricts me to short necessary journeys of under 30 minutes.",
        "Pain prevents me from travelling except to receive treatment.")),
})

NDI = MappingProxyType({
    "pain_intensity": SectionWording("How strong is your neck pain right now?", (
        "I have no pain at the moment.",
        "The pain is very mild at the moment.",
        "The pain is moderate at the moment.",
        "The pain is fairly severe at the moment.",
        "The pain is very severe at the moment.",
        "The pain is the worst I can imagine at the moment.")),
    "personal_care": SectionWording("Washing, dressing and looking after yourself:", (
        "I look after myself normally, without extra pain.",
        "I look after myself normally, but it causes extra pain.",
        "Looking after myself is painful, and I am slow and careful.",
        "I need some help, but manage most of my personal care.",
        "I need help every day with most of my personal care.",
        "I do not get dressed, wash with difficulty and stay in bed.")),
    "lifting": SectionWording("Lifting things:", (
        "I can lift heavy weights without extra pain.",
        "I can lift heavy weights, but it gives extra pain.",
        "Pain stops me lifting heavy weights from the floor, but I manage if they are "
        "placed conveniently, e.g. on a table.",
        "Pain stops me lifting heavy weights, but I manage light to medium weights if "
        "they are placed conveniently.",
        "I can lift only very light weights.",
        "I cannot lift or carry anything.")),
    "reading": SectionWording("Reading:", (
        "I can read as much as I want with no neck pain.",
        "I can read as much as I want with slight neck pain.",
        "I can read as much as I want with moderate neck pain.",
        "I cannot read as much as I want because of moderate neck pain.",
        "I can hardly read at all because of severe neck pain.",
        "I cannot read at all.")),
    "headaches": SectionWording("Headaches:", (
        "I have no headaches at all.",
        "I have slight headaches that come rarely.",
        "I have moderate headaches that come rarely.",
        "I have moderate headaches that come often.",
        "I have severe headaches that come often.",
        "I have headaches almost all the time.")),
    "concentration": SectionWording("Concentration:", (
        "I can concentrate fully when I want to, without difficulty.",
        "I can concentrate fully when I want to, with slight difficulty.",
        "I have a fair degree of difficulty concentrating when I want to.",
        "I have a lot of difficulty concentrating when I want to.",
        "I have a great deal of difficulty concentrating when I want to.",
        "I cannot concentrate at all.")),
    "work": SectionWording("Work (paid work, housework or study):", (
        "I can do as much work as I want to.",
        "I can do only my usual work, but no more.",
        "I can do most of my usual work, but no more.",
        "I cannot do my usual work.",
        "I can hardly do any work at all.",
        "I cannot do any work at all.")),
    "driving": SectionWording("Driving (if it applies):", (
        "I can drive my car without any neck pain.",
        "I can drive my car as long as I want with slight neck pain.",
        "I can drive my car as long as I want with moderate neck pain.",
        "I cannot drive my car as long as I want because of moderate neck pain.",
        "I can hardly drive at all because of severe neck pain.",
        "I cannot drive my car at all.")),
    "sleeping": SectionWording("Sleeping:", (
        "My sleep is not disturbed by neck pain.",
        "My sleep is slightly disturbed (less than 1 hour awake).",
        "My sleep is mildly disturbed (1 to 2 hours awake).",
        "My sleep is moderately disturbed (2 to 3 hours awake).",
        "My sleep is greatly disturbed (3 to 5 hours awake).",
        "My sleep is completely disturbed (5 to 7 hours awake).")),
    "recreation": SectionWording("Recreation:", (
        "I can do all my leisure activities with no neck pain.",
        "I can do all my leisure activities with some neck pain.",
        "I can do most, but not all, of my leisure activities because of neck pain.",
        "I can do only a few of my leisure activities because of neck pain.",
        "I can hardly do any leisure activities because of neck pain.",
        "I cannot do any leisure activities at all.")),
})

SECTION_WORDING = MappingProxyType({"odi": ODI, "ndi": NDI})
SOURCES = MappingProxyType({
    "odi": "Oswestry Disability Index 2.1a (Fairbank & Pynsent, Spine 2000)",
    "ndi": "Neck Disability Index (Vernon & Mior, J Manipulative Physiol Ther 1991)",
})

# What is asked for the single-value instruments, with the anchors of the scale.
QUESTIONS = MappingProxyType({
    "vas": "Mark how strong your pain is right now, from 0 = no pain to "
           "10 = the worst pain imaginable.",
    "nrs": "On a scale from 0 (no pain) to 10 (the worst pain imaginable), how strong is "
           "your pain right now?",
    "satisfaction_procedure": "How satisfied are you with the procedure itself (how it "
                              "was done, the discomfort during it)?",
    "satisfaction_results": "How satisfied are you with the results of the treatment "
                            "so far?",
    "nsaid_reduction": "By how much have you reduced your anti-inflammatory pain "
                       "medicines (NSAIDs) since the procedure? (0 to 100 %)",
    "ome": "Which opioid pain medicines do you take, and how much a day? "
           "(converted to oral morphine equivalents)",
    "gabapentin": "How much gabapentin do you take a day (mg)?",
})
ANCHORS = MappingProxyType({"vas": ("no pain", "worst pain imaginable"),
                            "nrs": ("no pain", "worst pain imaginable")})


def wording_of(instrument: str, section: str) -> SectionWording | None:
    """The question and six statements of one section, or None (no sections)."""
    return SECTION_WORDING.get(instrument, {}).get(section)


def source_note(instrument: str) -> str | None:
    name = SOURCES.get(instrument)
    return PARAPHRASED.format(name=name) if name else None
