"""Five interface languages: Swedish (the default), English, Finnish, Meänkieli, North Sámi.

Message ids are English. Each other language has one .po file per area under
``translations/<lang>/LC_MESSAGES/`` (so that areas can grow independently);
``python -m smultron.core.i18n compile`` merges them into ``messages.mo``. A message id
without a translation in fi, fit or se falls back to the Swedish one, string by string
(never to the English id). Drafts not yet read by a native speaker carry the translator
comment ``needs review by a native speaker``; compiling counts them per language.

Babel has no locale data for Meänkieli (``fit``): :func:`register_locales` gives it
Finnish formatting and plural rules under its own tag. No Flask here (the request's
language is chosen in ``smultron.web.language``).
"""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass
from pathlib import Path

from babel import localedata
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from smultron import ROOT

# Each language in its own name, as the language switch offers it.
LANGUAGES = {"sv": "Svenska", "en": "English", "fi": "Suomi", "fit": "Meänkieli",
             "se": "Davvisámegiella"}
DEFAULT_LANGUAGE = "sv"
FALLBACK = "sv"  # what an untranslated message shows in fi, fit and se
SOURCE_LANGUAGE = "en"  # the message ids' language: what an en catalogue lacks shows the id
# Languages whose locale data Babel lacks, and whose formatting (dates, numbers, plural
# rules) they borrow.
BORROWED_LOCALES = {"fit": "fi"}
NEEDS_REVIEW = "needs review by a native speaker"
TRANSLATIONS = ROOT / "smultron" / "translations"


def register_locales() -> None:
    """Make ``Locale.parse('fit')`` work (idempotent): Babel's Finnish data under the
    tag ``fit``. Called by the app factory and before anything formats outside a request."""
    for language, source in BORROWED_LOCALES.items():
        if language not in localedata._cache:  # noqa: SLF001 - Babel's only registry
            data = copy.deepcopy(localedata.load(source))
            with localedata._cache_lock:  # noqa: SLF001
                localedata._cache.setdefault(language, data)  # noqa: SLF001
            # Babel memoises exists(): a "no" given before the registration would stick.
            getattr(localedata.exists, "cache_clear", lambda: None)()


def normalise(code: str | None) -> str | None:
    """``code`` if it names one of the interface languages (``FI``, ``fi-FI`` → ``fi``)."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in LANGUAGES:
        return code
    base = code.split("-", 1)[0]
    return base if base in LANGUAGES and base != code else None


def merged_catalog(language: str) -> Catalog:
    """All .po files of ``language`` as one catalogue; a msgid twice must agree."""
    register_locales()
    merged = Catalog(locale=language)
    for path in area_files(language):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if not message.id:
                continue
            known = merged.get(message.id)
            if known is not None and known.string and known.string != message.string:
                raise ValueError(f"{path.name}: '{message.id}' is translated twice, differently")
            if known is None or not known.string:
                merged[message.id] = message
    return merged


def area_files(language: str) -> list[Path]:
    return sorted((TRANSLATIONS / language / "LC_MESSAGES").glob("*.po"))


def translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(message.string) and all(strings)


def _fallback_strings(fallback: Message, nplurals: int):
    """``fallback``'s strings, in as many plural forms as the language has."""
    if not isinstance(fallback.string, tuple | list):
        return fallback.string
    forms = list(fallback.string)
    return tuple((forms + [forms[-1]] * nplurals)[:nplurals])


@dataclass(frozen=True)
class Counts:
    language: str
    messages: int
    translated: int
    needs_review: int

    @property
    def from_fallback(self) -> int:
        return self.messages - self.translated

    def line(self) -> str:
        shown = "as the message id" if self.language == SOURCE_LANGUAGE else "in Swedish"
        return (f"{self.language}: {self.translated} of {self.messages} messages translated, "
                f"{self.needs_review} marked '{NEEDS_REVIEW}', "
                f"{self.from_fallback} shown {shown}")


def compiled_catalog(language: str) -> tuple[Catalog, Counts]:
    """``language``'s catalogue with every Swedish message it lacks filled in from Swedish
    (English, the ids' language, is left to show the id); counted against the Swedish
    catalogue (the messages the app has)."""
    catalog = merged_catalog(language)
    swedish = catalog if language == FALLBACK else merged_catalog(FALLBACK)
    wanted = [message for message in swedish if message.id and translated(message)]
    own = [message for message in (catalog.get(wanted_one.id) for wanted_one in wanted)
           if message is not None and translated(message)]
    review = sum(1 for message in own if NEEDS_REVIEW in message.auto_comments)
    for message in wanted if language != SOURCE_LANGUAGE else ():
        known = catalog.get(message.id)
        if known is None or not translated(known):
            catalog[message.id] = Message(
                message.id, _fallback_strings(message, catalog.num_plurals),
                flags=message.flags)
    return catalog, Counts(language, len(wanted), len(own), review)


def compile_catalogs() -> list[Counts]:
    counts = []
    for language in LANGUAGES:
        folder = TRANSLATIONS / language / "LC_MESSAGES"
        if not folder.exists():
            continue  # English: the message ids themselves
        catalog, count = compiled_catalog(language)
        with (folder / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)
        counts.append(count)
    return counts


def area_table() -> str:
    """Per area, as a Markdown table: the Swedish catalogue's messages and how many of them
    each drafted language translates (in any of its area files), and of those, how many
    still wait for review."""
    drafted = [language for language in LANGUAGES
               if language != FALLBACK and (TRANSLATIONS / language / "LC_MESSAGES").exists()]
    catalogs = {language: merged_catalog(language) for language in drafted}
    lines = ["| area | messages | " + " | ".join(drafted) + " |",
             "|---|---|" + "---|" * len(drafted)]
    for path in area_files(FALLBACK):
        with path.open("rb") as handle:
            ids = [message.id for message in read_po(handle) if message.id]
        cells = []
        for language in drafted:
            own = [found for found in (catalogs[language].get(msgid) for msgid in ids)
                   if found is not None and translated(found)]
            review = sum(1 for found in own if NEEDS_REVIEW in found.auto_comments)
            cells.append(f"{len(own)} ({review} to review)")
        lines.append(f"| {path.stem} | {len(ids)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["compile"]:
        for counted in compile_catalogs():
            print(counted.line())
    elif sys.argv[1:] == ["areas"]:
        print(area_table())
    else:
        sys.exit("usage: python -m smultron.core.i18n compile | areas")
