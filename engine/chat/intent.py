"""What the person wants from this message: to be heard, advice, a plan, words to say, or a decision.

A coach answers the question that was asked: "what should I say to him?" wants a script, "give me a
plan" wants steps with days, "should I take it or stay?" wants help deciding, and a message that
only tells what happened wants to be heard first. The cues are ordinary English phrasings of those
requests, checked from the most specific (words, plan, decision) to the least (advice); a message
that asks for none of them is venting or telling.
"""

from __future__ import annotations

import re

VENT, ADVICE, PLAN, WORDS, DECISION = "vent", "advice", "plan", "words", "decision"

_WORDS = re.compile(
    r"\bwhat (?:\w+ )?(?:should|do|can|could|would|shall) (?:i|we) (?:actually |even |exactly )?(?:say|tell|write|text|reply|answer|put)\b"
    r"|\bwhat would you (?:say|write|tell|text)\b"
    r"|\bhow (?:do|should|can|could|would) (?:i|we) (?:say|tell|word|phrase|put|bring (?:it|this|that) up|raise|"
    r"ask(?: for| him| her| them)?|approach|talk (?:to|with|about)|respond|reply|answer|start the conversation|open)\b"
    r"|\bhelp me (?:say|write|word|phrase|draft|reply|respond)\b"
    r"|\b(?:words|script|wording|message|email|text) (?:to|i could|i can|i should) (?:say|use|send)\b"
    r"|\bwhat to (?:say|write|tell)\b",
    re.IGNORECASE,
)
_PLAN = re.compile(
    r"\b(?:a|the|my|some) (?:plan|schedule|routine|programme|program|timetable|roadmap)\b"
    r"|\bplan (?:for|out)\b|\bweek[- ]by[- ]week\b|\bday[- ]by[- ]day\b|\bstep[- ]by[- ]step\b"
    r"|\b(?:first|next|coming) (?:\w+ )?(?:week|weeks|month|months|days)\b.*\?"
    r"|\bwhere (?:do|should) i (?:even )?start\b|\bhow (?:do|should|can) i (?:get started|start|begin)\b",
    re.IGNORECASE,
)
_DECISION = re.compile(
    r"\bshould i\b[^?.!]*\bor\b|\b(?:whether|if) (?:i should|to)\b|\b(?:can't|cannot|can not) decide\b"
    r"|\btorn between\b|\bdecid(?:e|ing) (?:between|whether)\b|\bis it worth\b|\bwhich (?:one|option) should\b",
    re.IGNORECASE,
)
_ADVICE = re.compile(
    r"\bhow (?:do|can|should|could|would) (?:i|we)\b|\bwhat (?:should|can|could|do) (?:i|we) do\b"
    r"|\bany (?:tips|advice|ideas|suggestions)\b|\bwhat do you (?:suggest|recommend|think)\b"
    r"|\bhelp me\b|\bhow to\b|\bwhat (?:can|could) help\b|\bis there a way\b|\bshould i\b",
    re.IGNORECASE,
)


def detect_intent(message: str) -> str:
    """One of VENT, ADVICE, PLAN, WORDS, DECISION for the person's message."""
    text = " ".join(message.split())
    if _WORDS.search(text):
        return WORDS
    if _PLAN.search(text):
        return PLAN
    if _DECISION.search(text):
        return DECISION
    if _ADVICE.search(text) or text.rstrip().endswith("?"):
        return ADVICE
    return VENT
