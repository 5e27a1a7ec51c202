"""Word lists and small word tools for the consistency check.

`COMMON_NOUNS` are the words a tutor may use about any problem (steps, answers, units, ways of thinking);
any other noun a reply names must come from the problem, its scaffold or the conversation.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
STOPWORDS = frozenset(
    """a an the this that these those it its it's is are was were be been being am do does did doing have has had
    having i you your yours we our us they them their he she his her him me my mine of in on at to for from by
    with without about into onto over under up down out off and or but if then than so as not no yes all any
    each every some many much more most less least few what which who whom whose when where why how there here
    can could would should will shall may might must let let's just also only very really too again still
    now one two three four five six seven eight nine ten first second third next last same other another
    such own both either neither way together means mean meaning instead already away back""".split()
)
DETERMINERS = frozenset("the a an this these those each every your his her their its our my another".split())
# Words that describe rather than name: the noun comes after them ("the whole pizza", "a short sentence").
MODIFIERS = frozenset(
    """whole total full first second third last next other same new old original final right wrong correct
    exact small big large little short long good great nice kind careful different given current previous
    single main whole extra remaining missing actual important simple tricky hard easy clear few many much
    more less half double entire larger smaller bigger greater higher lower faster slower""".split()
)
# Nouns a tutor may use about any problem: the work itself, units, quantities, reasoning.
COMMON_NOUNS = frozenset(
    """answer answers step steps problem problems question questions number numbers value values result results
    calculation calculations idea ideas way ways method approach thinking think work try attempt guess hint
    hints part parts piece pieces bit thing things something anything everything nothing look moment time
    minute second hour day week month year unit units amount amounts total sum difference product quotient
    ratio rate fraction decimal decimals percent percentage cent cents dollar dollars money price cost costs
    change equation expression operation multiplication division addition subtraction multiply divide add
    subtract times plus minus digit digits place places start end beginning middle order sense reason point
    pair pairs group groups set sets row rows column columns side sides size length width height area volume
    distance speed weight mass energy power force metre metres meter meters kilometre kilometres km second
    seconds minutes hours kilogram kilograms gram grams litre litres liter liters joule joules watt watts
    newton newtons degree degrees word words sentence sentences sign check example examples case cases detail
    details mistake mistakes error errors slip progress job effort lot question's student tutor teacher
    program code test tests line lines loop function variable output input bug bugs fix python list
    doubt pace chance break breath situation statement information info data figure figures math maths
    physics learning practice help trick rule rules formula formulas notes memory focus rush lead track cause
    spoil arithmetic""".split()
)
# Verbs that follow a number or a determiner's noun ("3.10 come from", "7 pencils make"): no names.
VERBS = frozenset(
    """come comes came go goes went make makes made get gets got give gives gave take takes took need needs
    fit fits buy buys bought pay pays paid leave leaves left use uses used cost costs mean means equal equals
    add adds multiply divide subtract work works show shows tell tells say says find finds look looks stay
    stays fall falls move moves run runs pass passes fail fails change changes become becomes happen happens
    help helps check checks start starts end ends seem seems""".split()
)
ALLOWED_NAMES = frozenset(
    """I I'm I'll I've I'd Let Let's Yes No Now So Good Great Nice Well Okay OK Hmm Think Try What How Which Why
    When Where Who Can Could Would Should Do Does Did Is Are Was Were If Then That This These Those It The
    Python Remember Look Take Check Read Start Next First Second Finally Once Before After Keep Here There
    Not Right Sure You Your We Our And But Or""".split()
)


def stem(word: str) -> str:
    """A crude stem, enough to match 'cookies' with 'cookie' and 'pencil's' with 'pencil'."""
    w = word.lower().split("'")[0].strip("-")
    for suffix, repl in (("ies", "y"), ("ves", "f"), ("sses", "ss"), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)] + repl
    return w


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning (question words and function words left out)."""
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


def noun_after_determiners(sentence: str) -> list[str]:
    """The noun after a determiner or a number, past modifiers ("the party", "5 weekdays", "the whole pizza")."""
    tokens = re.findall(r"[A-Za-z][A-Za-z'-]*|\d+(?:[.,]\d+)?", sentence)
    out: list[str] = []
    for i, token in enumerate(tokens[:-1]):
        if token.lower() not in DETERMINERS and not token[0].isdigit():
            continue
        for nxt in tokens[i + 1 : i + 4]:
            if nxt[0].isdigit() or nxt.lower() in STOPWORDS or nxt.lower() in VERBS:
                break
            if nxt.lower() in MODIFIERS or nxt.lower().endswith(("ly", "ed")):
                continue
            out.append(nxt)
            break
    return out
