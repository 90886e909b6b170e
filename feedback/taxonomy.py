"""The taxonomy a new desk starts with: what customers talk about, in the four languages.
Managers edit it on the Themes page; this is only the first version, loaded by a
migration. Keywords are matched on their Snowball stems (so "delay" also finds "delayed"
and "delays"); phrases match their words in sequence."""

DEFAULT_THEMES = [
    # (slug, name, parent slug, {language: keywords})
    ("delivery", "Delivery", None, {}),
    ("delivery-speed", "Delivery speed", "delivery", {
        "en": ["late", "delay", "delayed", "slow delivery", "shipping", "arrived", "arrive",
               "waiting", "weeks", "days late", "on time", "fast delivery", "courier",
               "tracking", "dispatch"],
        "it": ["ritardo", "in ritardo", "consegna", "spedizione", "arrivato", "arrivata",
               "tempi", "attesa", "corriere", "tracciamento", "puntuale", "veloce"],
        "nb": ["forsinket", "forsinkelse", "levering", "levert", "sen", "sent", "frakt",
               "ventet", "vente", "sporing", "budet", "pakken", "kom frem", "i tide"],
        "ro": ["întârziere", "întârziat", "întârziată", "livrare", "livrat", "livrată",
               "curier", "curierul", "așteptat", "transport", "coletul", "la timp"],
    }),
    ("delivery-damage", "Delivery damage", "delivery", {
        "en": ["damaged", "broken", "crushed", "dented", "smashed", "packaging", "box",
               "parcel", "scratched", "leaking"],
        "it": ["danneggiato", "danneggiata", "rotto", "rotta", "ammaccato", "imballaggio",
               "pacco", "scatola", "graffiato"],
        "nb": ["skadet", "ødelagt", "knust", "bulket", "emballasje", "emballasjen", "esken",
               "pakke", "ripe"],
        "ro": ["deteriorat", "deteriorată", "spart", "spartă", "stricat", "ambalaj",
               "ambalajul", "cutie", "cutia", "colet", "zgâriat"],
    }),
    ("product", "Product", None, {}),
    ("product-quality", "Product quality", "product", {
        "en": ["quality", "defective", "faulty", "stopped working", "material", "durable",
               "cheap plastic", "works", "working", "battery", "size", "fits", "broke"],
        "it": ["qualità", "difettoso", "difettosa", "materiale", "funziona",
               "non funziona", "resistente", "taglia", "batteria", "prodotto"],
        "nb": ["kvalitet", "kvaliteten", "defekt", "materialet", "fungerer", "virker",
               "størrelse", "batteri", "produktet", "holdbar"],
        "ro": ["calitate", "calitatea", "defect", "defectă", "material", "funcționează",
               "mărime", "baterie", "produsul", "rezistent"],
    }),
    ("price-value", "Price and value", "product", {
        "en": ["price", "expensive", "cheap", "value", "money", "overpriced", "worth",
               "cost", "discount", "deal"],
        "it": ["prezzo", "caro", "costoso", "economico", "soldi", "vale", "costo", "sconto",
               "convenienza"],
        "nb": ["pris", "prisen", "dyr", "dyrt", "billig", "penger", "verdt", "kostnad",
               "rabatt"],
        "ro": ["preț", "prețul", "scump", "scumpă", "ieftin", "bani", "merită", "cost",
               "reducere"],
    }),
    ("service", "Service", None, {}),
    ("customer-service", "Customer service", "service", {
        "en": ["customer service", "support", "staff", "agent", "helpful", "rude", "friendly",
               "answer", "call", "phone", "chat", "service"],
        "it": ["servizio clienti", "assistenza", "personale", "operatore", "gentile",
               "maleducato", "risposta", "telefono", "chat", "servizio"],
        "nb": ["kundeservice", "kundeservicen", "kundestøtte", "personalet", "hjelpsom",
               "frekk", "svar", "telefon", "chat", "service"],
        "ro": ["serviciul clienți", "relații clienți", "suport", "personal", "operator",
               "amabil", "nepoliticos", "răspuns", "telefon", "chat", "serviciu"],
    }),
    ("returns-refunds", "Returns and refunds", "service", {
        "en": ["return", "returned", "refund", "refunded", "money back", "exchange",
               "replacement", "credit"],
        "it": ["reso", "restituito", "rimborso", "rimborsato", "sostituzione", "cambio"],
        "nb": ["retur", "returnere", "refusjon", "pengene tilbake", "bytte", "erstatning"],
        "ro": ["retur", "returnat", "rambursare", "banii înapoi", "schimb", "înlocuire"],
    }),
    ("communication", "Communication", "service", {
        "en": ["email", "informed", "update", "updates", "no information", "notification",
               "contact", "reply", "responded", "communication", "told"],
        "it": ["email", "informato", "informati", "aggiornamento", "aggiornamenti",
               "comunicazione", "contatto", "notifica", "risposto"],
        "nb": ["epost", "e-post", "informert", "informasjon", "oppdatering", "beskjed",
               "kommunikasjon", "kontakt", "varsel"],
        "ro": ["email", "informat", "informații", "actualizare", "comunicare", "contact",
               "notificare", "mesaj"],
    }),
    ("digital", "Website and app", None, {
        "en": ["website", "site", "app", "checkout", "login", "account", "online", "order page",
               "payment", "password"],
        "it": ["sito", "app", "applicazione", "pagamento", "account", "login", "online",
               "carrello"],
        "nb": ["nettsiden", "nettside", "appen", "app", "betaling", "konto", "innlogging",
               "handlekurv"],
        "ro": ["site", "site-ul", "aplicația", "aplicație", "plata", "cont", "autentificare",
               "coș", "online"],
    }),
]


def load_default_taxonomy(theme_model) -> int:
    """Create the themes above that are missing (by key); returns how many were created.
    ``theme_model``: the ``Theme`` model, or its historical version in a migration."""
    by_slug, created = {}, 0
    for position, (slug, name, parent, keywords) in enumerate(DEFAULT_THEMES):
        by_slug[slug], new = theme_model.objects.get_or_create(slug=slug, defaults={
            "name": name, "parent": by_slug.get(parent), "keywords": keywords,
            "position": position,
        })
        created += new
    return created
