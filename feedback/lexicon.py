"""The sentiment words of the four languages the desk ships with: how customers praise and
complain in reviews and service messages. Matched on Snowball stems, so one entry covers a
word's forms; ``word:weight`` weighs a word above or below 1.

A team working in another language adds its lists here (and its stemmer in
``feedback.catalogue.STEMMER_NAMES``).
"""

POSITIVE = {
    "en": (
        "good", "great:1.5", "excellent:2", "amazing:2", "awesome:2", "perfect:2",
        "fantastic:2", "love:1.5", "lovely:1.5", "happy", "pleased", "satisfied", "recommend",
        "fast", "quick", "quickly", "helpful", "friendly", "kind", "polite", "easy", "nice",
        "best:1.5", "superb:2", "wonderful:2", "impressed", "reliable", "thank", "thanks",
        "smooth", "efficient", "professional", "beautiful", "delighted:2", "brilliant:2",
        "outstanding:2", "well", "fine:0.5", "solved", "resolved", "prompt", "courteous",
    ),
    "it": (
        "buono", "buona", "ottimo:1.5", "ottima:1.5", "eccellente:2", "perfetto:2",
        "perfetta:2", "fantastico:2", "bellissimo:2", "bello", "bella", "contento",
        "contenta", "soddisfatto", "soddisfatta", "consiglio", "consigliato", "veloce",
        "rapido", "rapida", "velocemente", "gentile", "gentili", "cortese", "disponibile",
        "professionale", "facile", "grazie", "felice", "affidabile", "puntuale", "preciso",
        "top:1.5", "super:1.5", "ottimamente:1.5", "risolto", "impeccabile:2",
        "meraviglioso:2", "stupendo:2", "bene",
    ),
    "nb": (
        "bra", "god", "godt", "flott:1.5", "utmerket:2", "perfekt:2", "fantastisk:2",
        "strålende:2", "fornøyd", "glad", "anbefale", "anbefaler", "rask", "raskt", "hjelpsom",
        "hjelpsomme", "vennlig", "vennlige", "hyggelig", "enkel", "enkelt", "takk", "supert:1.5",
        "super:1.5", "best:1.5", "pålitelig", "profesjonell", "effektiv", "løst", "imponert",
        "topp:1.5", "nydelig:1.5", "fint", "fin", "greit:0.5", "kjempebra:2",
    ),
    "ro": (
        "bun", "bună", "bine", "excelent:2", "excelentă:2", "perfect:2", "perfectă:2",
        "minunat:2", "minunată:2", "grozav:1.5", "mulțumit", "mulțumită", "mulțumesc",
        "recomand", "rapid", "rapidă", "repede", "amabil", "amabilă", "politicos", "ușor",
        "frumos", "frumoasă", "super:1.5", "superb:2", "profesionist", "profesioniști",
        "eficient", "rezolvat", "impresionat", "fericit", "fericită", "corect", "prompt",
        "serios", "seriozitate", "calitate:0.5", "top:1.5",
    ),
}

NEGATIVE = {
    "en": (
        "bad", "poor", "terrible:2", "awful:2", "horrible:2", "worst:2", "disappointed:1.5",
        "disappointing:1.5", "late", "delay", "delayed", "slow", "broken", "damaged", "wrong",
        "missing", "lost", "never", "rude", "unhelpful", "useless:1.5", "refund:0.5",
        "complaint", "problem", "issue", "angry:1.5", "unacceptable:2", "waste:1.5", "cheap:0.5",
        "faulty", "defective", "scam:2", "avoid:1.5", "nightmare:2", "frustrating:1.5",
        "frustrated:1.5", "annoyed", "cancel", "cancelled", "unfortunately", "fail", "failed",
        "hate:2", "dirty", "expensive:0.5", "overpriced", "ignored", "worse:1.5",
    ),
    "it": (
        "pessimo:2", "pessima:2", "brutto", "brutta", "cattivo", "scarso", "scarsa",
        "terribile:2", "orribile:2", "deluso:1.5", "delusa:1.5", "deludente:1.5", "ritardo",
        "lento", "lenta", "rotto", "rotta", "danneggiato", "danneggiata", "sbagliato",
        "sbagliata", "mancante", "perso", "persa", "maleducato", "inutile:1.5", "rimborso:0.5",
        "reclamo", "problema", "problemi", "arrabbiato:1.5", "inaccettabile:2", "vergogna:2",
        "difettoso", "truffa:2", "evitare:1.5", "incubo:2", "purtroppo", "annullato", "mai",
        "sporco", "caro:0.5", "peggio:1.5", "peggiore:2", "ignorato",
    ),
    "nb": (
        "dårlig", "elendig:2", "forferdelig:2", "skuffet:1.5", "skuffende:1.5", "sen", "sent",
        "forsinket", "forsinkelse", "treg", "tregt", "ødelagt", "skadet", "feil", "mangler",
        "borte", "frekk", "frekke", "ubrukelig:1.5", "refusjon:0.5", "klage", "problem",
        "problemer", "sint:1.5", "uakseptabelt:2", "svindel:2", "unngå:1.5", "mareritt:2",
        "dessverre", "kansellert", "aldri", "skitten", "dyrt:0.5", "verre:1.5", "verst:2",
        "ignorert", "irritert", "frustrert:1.5", "katastrofe:2",
    ),
    "ro": (
        "rău", "proastă", "prost", "groaznic:2", "oribil:2", "dezamăgit:1.5",
        "dezamăgită:1.5", "dezamăgitor:1.5", "întârziere", "întârziat", "întârziată", "lent",
        "lentă", "stricat", "stricată", "deteriorat", "deteriorată", "greșit", "greșită",
        "lipsă", "pierdut", "pierdută", "nepoliticos", "inutil:1.5", "rambursare:0.5",
        "reclamație", "problemă", "probleme", "supărat:1.5", "inacceptabil:2", "țeapă:2",
        "evitați:1.5", "coșmar:2", "păcate", "anulat", "niciodată", "murdar", "scump:0.5",
        "ignorat", "nemulțumit:1.5", "nemulțumită:1.5", "defect", "jale:2",
    ),
}

# Words that turn the next few words around.
NEGATIONS = {
    "en": ("not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "won't",
           "can't", "cannot", "nothing", "without", "hardly"),
    "it": ("non", "nessun", "nessuno", "nessuna", "mai", "senza", "né"),
    "nb": ("ikke", "ingen", "aldri", "uten", "ingenting", "verken"),
    "ro": ("nu", "niciun", "nicio", "fără", "nici"),
}
