"""The library methods of the workspace: characters, system prompt templates, tag categories."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from threadsmith.store import DatasetRow, Store
from threadsmith.store.library import CharacterRow, PromptRow
from threadsmith.workspace import operations as ops
from threadsmith.workspace import searching
from threadsmith.workspace.cards import character_from_card, read_card
from threadsmith.workspace.editor import Editor
from threadsmith.workspace.query import Query
from threadsmith.workspace.results import EditResult
from threadsmith.workspace.versioning import utc_now


@dataclass(frozen=True, slots=True)
class TagCount:
    """A tag, how many entries of a version carry it, and its category."""

    tag: str
    count: int
    category: str | None


class LibraryMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`."""

    store: Store

    def _prepare_query(self, row: DatasetRow, version: int, query: Query,
                       progress: Callable[[int], None] | None = None) -> searching.FindingScope | None:
        raise NotImplementedError  # provided by the Workspace

    def import_character(self, path: str | os.PathLike[str]) -> tuple[CharacterRow, bool]:
        """Import a SillyTavern character card (V1/V2/V3 .json, or .png); (the character, whether it is new)."""
        card, _spec = read_card(path)
        character = character_from_card(card, os.fspath(path), utc_now())
        with self.store.write():
            created = self.store.library.save_character(character)
        return character, created

    def characters(self) -> list[CharacterRow]:
        """Every character in the library."""
        return self.store.library.characters()

    def character(self, name: str) -> CharacterRow:
        """One character by name."""
        return self.store.library.character(name)

    def add_prompt(self, name: str, text: str) -> PromptRow:
        """Add a system prompt template to the library."""
        with self.store.write():
            return self.store.library.add_prompt(name, text, utc_now())

    def prompts(self) -> list[PromptRow]:
        """Every system prompt template, with how many entries use it."""
        return self.store.library.prompts()

    def use_prompt(self, name: str, dataset: str, query: Query, *, message: str | None = None) -> EditResult:
        """Make the entries a query selects use a template: their system prompt becomes its text (one version)."""
        row = self.store.versions.dataset(dataset)
        prompt = self.store.library.prompt(name)
        head = self.store.versions.head(row.id)
        scope = self._prepare_query(row, head, query)
        slots = list(searching.select(self.store, row, head, query, scope=scope))
        editor = Editor(self.store, row)
        for slot in slots:
            editor.apply(ops.SetSystemPrompt(slot.key, prompt.text))
        link = lambda: self.store.library.link(prompt.id, [s.entry_id for s in slots])  # noqa: E731
        version = editor.commit("prompt", message or f"use prompt {name} in {len(slots):,} entries", also=link)
        return EditResult(dataset, version, version.changed if version else 0, 0, 0, {"linked": len(slots)})

    def set_prompt(self, name: str, text: str, *, message: str | None = None) -> list[EditResult]:
        """Change a template's text; every dataset with entries using it gets a new version showing the new text."""
        results = []
        with self.store.write():
            prompt = self.store.library.prompt(name)
            self.store.library.set_prompt_text(prompt.id, text, utc_now())
            for dataset_id, entry_ids in self.store.library.linked_entries(prompt.id).items():
                row = next(d for d in self.store.versions.datasets() if d.id == dataset_id)
                current = self.store.states.current(entry_ids)
                editor = Editor(self.store, row)
                for slot in current.values():
                    editor.apply(ops.SetSystemPrompt(slot.key, text))
                version = editor.commit("prompt", message or f"prompt {name} changed: {len(current):,} entries")
                results.append(EditResult(row.name, version, version.changed if version else 0, 0, 0))
        return results

    def categorize_tag(self, tag: str, category: str | None) -> None:
        """File a tag under a category (None: no category)."""
        with self.store.write():
            self.store.library.set_category(tag, category)

    def tags(self, dataset: str, *, version: str | int | None = None, limit: int | None = None) -> list[TagCount]:
        """The tags of a version with their counts and categories, most used first (the ``limit`` most used)."""
        with self.store.read():
            row = self.store.versions.dataset(dataset)
            number = self.store.versions.resolve(row, version)
            categories = self.store.library.categories()
            counts = self.store.library.tag_counts(row.id, number, limit=limit)
        return [TagCount(tag, count, categories.get(tag)) for tag, count in counts]
