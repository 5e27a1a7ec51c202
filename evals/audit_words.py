"""Word lists of the bad-reply audit (`evals.audit`): what a tutor reply may say about any problem.

A reply that names a thing its problem and conversation never mention is inventing content, unless the
word is the ordinary language of tutoring, arithmetic, physics or (for debugging problems) programming.
The lists are deliberately plain: the audit is a rough, explainable screen, not a parser.
"""

from __future__ import annotations

# Function words and question words: never content.
STOPWORDS = frozenset(
    """
    a about above after again against all almost along already also although always am among an and another
    any anything are around as at be because been before being below between both but by can cannot could
    did do does doing done down during each either else enough even ever every few for from further get gets
    getting got had has have having he her here hers herself him himself his how however i if in into is it
    its itself just least less let lets like made make makes many may maybe me might more most much must my
    myself near need needs never no nor not now of off often on once one only onto or other others otherwise
    our ours out over own per perhaps please quite rather really same shall she should since so some
    something still such than that the their theirs them themselves then there these they thing things this
    those though through thus to together too toward towards under until up upon us very was we were what
    whatever when where whether which while who whom whose why will with within without would yes yet you
    your yours yourself
    """.split()
)

# Discourse and tutoring vocabulary that any reply may use.
GENERIC = frozenset(
    """
    answer answers question questions step steps problem problems idea ideas way ways number numbers result
    results value values total totals sum difference product quotient calculation calculations operation
    operations multiplication division addition subtraction fraction fractions decimal decimals percent
    percentage unit units equation equations formula amount amounts part parts whole half halves rest time
    times moment look try tries guess guesses work job effort start progress track hint hints mistake
    mistakes error errors reasoning method approach strategy thinking thought thoughts chance sense example
    examples information detail details end beginning first second third next last different kind little
    bit lot right wrong correct new few original final given exact rough good great nice big small large
    point points order place places digit digits tens ones hundreds thousands zero one two three four five
    six seven eight nine ten dozen pair couple minute minutes hour hours second seconds day days price
    prices cost costs money dollar dollars cent cents change rate rates ratio ratios average mean fact facts
    quantity quantities side sides left case cases reason reasons everything nothing anything someone
    everyone situation word words sentence statement notes note goal goals plan task tasks lesson practice
    math maths mathematics physics topic subject help way check checking solution solutions clue clues
    scratch paper pencil head mind memory pattern patterns rule rules meaning share row rows column columns
    estimate estimates size range list lists count counts piece pieces group groups set sets equal
    multiply divide add subtract multiplied divided added subtracted key tip tips attempt attempts
    understanding concept concepts part whole area perimeter length width height depth volume distance
    speed speeds velocity acceleration force forces mass masses weight energy power work gravity friction
    motion object objects current voltage resistance charge momentum pressure temperature heat metre metres
    meter meters kilometre kilometres kilometer kilometers centimetre centimetres millimetre gram grams
    kilogram kilograms joule joules watt watts newton newtons volt volts amp amps ampere amperes ohm ohms
    kelvin degree degrees litre litres liter liters second direction

    formula formulas quantity quantities measurement measurements data graph table chart line issue issues
    """.split()
)

# Programming words: generic in a debugging problem, invented content in a word problem.
PROGRAMMING = frozenset(
    """
    code program programs line lines loop loops variable variables function functions list lists index
    indexes indices test tests bug bugs output input call calls return returns statement statements
    condition conditions string strings character characters letter letters counter accumulator iteration
    iterations pass passes element elements item items key keys dictionary print colon indentation syntax
    python parameter parameters argument arguments result results value values type types integer float
    boolean operator operators expression expressions assignment comparison block body branch case error
    errors exception traceback message messages run runs edit edits change changes fix fixes trace
    tracing step steps pass failure failures fail fails failing passing passed debug debugging
    """.split()
)

# Capitalised words that name no person, place or event of a problem.
CAPITALISED_OK = frozenset(
    """
    I OK Ok Python True False None SI Newton Newtons Joule Joules Watt Watts Celsius Kelvin Fahrenheit Earth
    Ohm Volt Amp Step Let
    """.split()
)

# Words that introduce a noun phrase: the one or two words after them are checked.
DETERMINERS = frozenset(
    """
    a an the each every his her their its your my our some any another many much
    several few no per of
    """.split()
)

# Quantities every reply may state without a source: unit conversions and common counts.
CONSTANTS = frozenset({12.0, 24.0, 60.0, 100.0, 1000.0, 3600.0, 365.0, 52.0, 9.8, 9.81, 3.6})

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
NUMBER_WORDS = {
    **{w: i for i, w in enumerate(f"{_UNITS} seventeen eighteen nineteen".split())},
    **{w: 20 + 10 * i for i, w in enumerate(_TENS.split())},
    "hundred": 100,
    "thousand": 1000,
}

# Adjectives and adverbs that follow determiners ("much better", "the same"): never a thing.
MODIFIERS = frozenset(
    """
    better best worse worst easier harder bigger smaller larger greater higher lower longer shorter faster
    slower tempting tricky hard easy simple clear true false sure important useful possible careful whole
    full empty exact actual real main basic entire certain special usual key helpful updated fixed corrected
    following previous new old
    """.split()
)
