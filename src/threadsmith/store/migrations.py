"""The schema, as a numbered list of migrations tracked by ``PRAGMA user_version``.

Never edit a released migration: add the next one. Opening a workspace runs the missing ones
in one transaction; a workspace whose version is above ``len(MIGRATIONS)`` was written by a
newer threadsmith and is refused (:class:`~threadsmith.errors.SchemaTooNew`).

Schema overview (migration 1):

- ``datasets``: a name and its head version. ``versions``: one row per version of a dataset
  (message, author, time, counts); ``version_tags``: names on versions.
- ``contents``: content-addressed conversation bodies (hash of the canonical bytes), stored
  once however many entries or versions use them; ``content_text``: the FTS5 index of their
  text (contentless, one column per role group), ``text_pending``: contents not indexed yet
  (large imports defer indexing to the first search); ``content_facets``: tags and speaker names.
- ``entries``: stable ids (``key``) and provenance; ``batches``: one import each.
- ``states``: "entry E holds content C at position P (excluded or not) from version A until
  version B" (B NULL = still current). A version that changes one entry closes one row and
  inserts one.
- ``check_configs``, ``audit_cache`` (later ``audit_results``), ``finding_codes``,
  ``audit_runs``, ``run_entry_codes``: findings cached per content and check configuration, and
  per-version audit results.
- ``characters``, ``prompts``, ``prompt_links``, ``tag_categories``: the libraries.
"""

from __future__ import annotations

#: ``PRAGMA application_id`` of a threadsmith workspace ("TSWK").
APPLICATION_ID = 0x5453574B

_INITIAL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    head INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE versions (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    entries INTEGER NOT NULL,
    added INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, number)
) WITHOUT ROWID;

CREATE TABLE version_tags (
    dataset_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    number INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, name),
    FOREIGN KEY (dataset_id, number) REFERENCES versions(dataset_id, number)
) WITHOUT ROWID;

CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    version INTEGER NOT NULL,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE contents (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    body BLOB NOT NULL,
    turns INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    roles INTEGER NOT NULL
);

CREATE TABLE content_facets (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    content_id INTEGER NOT NULL REFERENCES contents(id),
    PRIMARY KEY (kind, value, content_id)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE content_text USING fts5(
    system, user, assistant, other, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE text_pending (content_id INTEGER PRIMARY KEY);

CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    key TEXT NOT NULL,
    record_id TEXT,
    batch_id INTEGER REFERENCES batches(id),
    source_path TEXT,
    source_line INTEGER,
    source_index INTEGER,
    source_format TEXT,
    origin TEXT,
    UNIQUE (dataset_id, key)
);

CREATE TABLE states (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    content_id INTEGER NOT NULL REFERENCES contents(id),
    position REAL NOT NULL,
    excluded TEXT,
    valid_from INTEGER NOT NULL,
    valid_to INTEGER
);
CREATE INDEX states_by_position ON states (dataset_id, position, entry_id);
CREATE INDEX states_by_entry ON states (entry_id, valid_from);
CREATE INDEX states_by_content ON states (content_id);
CREATE INDEX states_by_start ON states (dataset_id, valid_from);
CREATE INDEX states_by_end ON states (dataset_id, valid_to) WHERE valid_to IS NOT NULL;

CREATE TABLE check_configs (
    id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    detail TEXT NOT NULL
);

CREATE TABLE audit_cache (
    config_id INTEGER NOT NULL REFERENCES check_configs(id),
    content_id INTEGER NOT NULL REFERENCES contents(id),
    findings BLOB,
    summaries BLOB NOT NULL,
    PRIMARY KEY (config_id, content_id)
) WITHOUT ROWID;

CREATE TABLE finding_codes (
    config_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    content_id INTEGER NOT NULL,
    PRIMARY KEY (config_id, code, content_id)
) WITHOUT ROWID;

CREATE TABLE audit_runs (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
    version INTEGER NOT NULL,
    config_id INTEGER NOT NULL REFERENCES check_configs(id),
    created_at TEXT NOT NULL,
    summary BLOB NOT NULL,
    dataset_findings BLOB NOT NULL,
    UNIQUE (dataset_id, version, config_id)
);

CREATE TABLE run_entry_codes (
    run_id INTEGER NOT NULL REFERENCES audit_runs(id),
    code TEXT NOT NULL,
    entry_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, code, entry_id)
) WITHOUT ROWID;

CREATE TABLE characters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    personality TEXT NOT NULL DEFAULT '',
    scenario TEXT NOT NULL DEFAULT '',
    first_message TEXT NOT NULL DEFAULT '',
    example_dialogue TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    card BLOB,
    source TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE prompts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE prompt_links (
    prompt_id INTEGER NOT NULL REFERENCES prompts(id),
    entry_id INTEGER NOT NULL REFERENCES entries(id),
    PRIMARY KEY (prompt_id, entry_id)
) WITHOUT ROWID;
CREATE INDEX prompt_links_by_entry ON prompt_links (entry_id);

CREATE TABLE tag_categories (
    tag TEXT PRIMARY KEY,
    category TEXT NOT NULL
) WITHOUT ROWID;
"""

_DISMISSALS = """
CREATE TABLE dismissals (
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    entry_key TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (dataset_id, entry_key, code)
) WITHOUT ROWID;
"""

_RUNS = """
CREATE TABLE training_runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dataset_id INTEGER REFERENCES datasets(id),
    version INTEGER,
    data TEXT NOT NULL,
    config TEXT NOT NULL,
    environment TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT,
    summary TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX training_runs_by_dataset ON training_runs (dataset_id, version);

CREATE TABLE run_metrics (
    run_id INTEGER NOT NULL REFERENCES training_runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, step)
) WITHOUT ROWID;
"""

#: Cached audit results move to a rowid table with a small unique index: a re-audit looks up
#: every entry's result, and in the WITHOUT ROWID table each lookup walked pages holding whole
#: multi-kilobyte rows (measured twice as slow).
_AUDIT_RESULTS = """
CREATE TABLE audit_results (
    id INTEGER PRIMARY KEY,
    config_id INTEGER NOT NULL REFERENCES check_configs(id),
    content_id INTEGER NOT NULL REFERENCES contents(id),
    findings BLOB,
    summaries BLOB NOT NULL
);
INSERT INTO audit_results (config_id, content_id, findings, summaries)
    SELECT config_id, content_id, findings, summaries FROM audit_cache ORDER BY config_id, content_id;
DROP TABLE audit_cache;
CREATE UNIQUE INDEX audit_results_key ON audit_results (config_id, content_id);
"""

#: Probe runs kept in the workspace (migration 5): linked to the training run they probed (NULL for a
#: base model) and the dataset version it trained on, so a second training cycle compares against the first.
_PROBES = """
CREATE TABLE probe_runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    suite TEXT NOT NULL,
    suite_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    adapter TEXT,
    variant TEXT NOT NULL,
    run_id INTEGER REFERENCES training_runs(id),
    dataset_id INTEGER REFERENCES datasets(id),
    version INTEGER,
    settings TEXT NOT NULL,
    scores TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX probe_runs_by_dataset ON probe_runs (dataset_id, version);
CREATE INDEX probe_runs_by_training_run ON probe_runs (run_id);

CREATE TABLE probe_results (
    probe_run_id INTEGER NOT NULL REFERENCES probe_runs(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    probe_id TEXT NOT NULL,
    behavior TEXT NOT NULL,
    score REAL,
    detail BLOB NOT NULL,
    PRIMARY KEY (probe_run_id, probe_id)
) WITHOUT ROWID;
"""

#: Sorted browsing and counting (migration 6): pages by length walk the contents in length order (and
#: reach their entries through ``states_by_content``); length filters read ``contents_lengths``
#: instead of the content rows (whose bodies come first); "most findings first" finds an entry's
#: codes by content and by entry; counting the included entries of a version subtracts the
#: excluded ones, found through a small partial index. Keyset pages stay fast at 1M entries.
_SORTS = """
CREATE INDEX contents_by_chars ON contents (chars);
CREATE INDEX contents_by_turns ON contents (turns);
CREATE INDEX contents_lengths ON contents (id, chars, turns, roles);
CREATE INDEX finding_codes_by_content ON finding_codes (config_id, content_id);
CREATE INDEX run_entry_codes_by_entry ON run_entry_codes (run_id, entry_id);
CREATE INDEX states_excluded ON states (dataset_id, valid_from) WHERE excluded IS NOT NULL;
"""

#: The migrations, in order: migration ``n`` (1-based) brings ``user_version`` from n-1 to n.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    ("initial schema: datasets, versions, contents, entries, states, search, audit cache, libraries", _INITIAL),
    ("dismissed findings (web review): a finding code on an entry, with the reason it is not a problem", _DISMISSALS),
    ("training runs: settings, data (dataset version, export manifest hash), environment, status, per-step metrics",
     _RUNS),
    ("audit results in a rowid table with a unique (configuration, content) index: faster re-audits",
     _AUDIT_RESULTS),
    ("probe runs: suite, model, adapter, training run, dataset version, settings, per-behavior and per-probe scores",
     _PROBES),
    ("indexes for sorted browsing and counting: contents by length, finding codes by content and by entry, "
     "excluded states", _SORTS),
)
