"""The full-text index over SearchEntry's pre-segmented tokens, one per engine.

SQLite: an external-content FTS5 table (unicode61: the tokens are already cut by jieba and joined
with spaces; the trigram tokenizer cannot find two-character words such as 异响), kept in step by
triggers. PostgreSQL: a generated tsvector column ('simple' configuration over the same tokens,
title weighted A, body B, keywords D) with a GIN index.
"""

from django.db import migrations

COLUMNS = "title_tokens, body_tokens, keywords, scope"
NEW = "new.title_tokens, new.body_tokens, new.keywords, new.scope"
OLD = "old.title_tokens, old.body_tokens, old.keywords, old.scope"

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE knowledge_entry_fts USING fts5({COLUMNS}, content='knowledge_searchentry', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"""CREATE TRIGGER knowledge_entry_fts_ai AFTER INSERT ON knowledge_searchentry BEGIN
         INSERT INTO knowledge_entry_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW});
       END""",
    f"""CREATE TRIGGER knowledge_entry_fts_ad AFTER DELETE ON knowledge_searchentry BEGIN
         INSERT INTO knowledge_entry_fts(knowledge_entry_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
       END""",
    f"""CREATE TRIGGER knowledge_entry_fts_au AFTER UPDATE ON knowledge_searchentry BEGIN
         INSERT INTO knowledge_entry_fts(knowledge_entry_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD});
         INSERT INTO knowledge_entry_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW});
       END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS knowledge_entry_fts_ai",
    "DROP TRIGGER IF EXISTS knowledge_entry_fts_ad",
    "DROP TRIGGER IF EXISTS knowledge_entry_fts_au",
    "DROP TABLE IF EXISTS knowledge_entry_fts",
]
POSTGRES_UP = [
    """ALTER TABLE knowledge_searchentry ADD COLUMN search tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple'::regconfig, title_tokens), 'A')
         || setweight(to_tsvector('simple'::regconfig, body_tokens), 'B')
         || setweight(to_tsvector('simple'::regconfig, keywords), 'D')) STORED""",
    "CREATE INDEX knowledge_searchentry_search ON knowledge_searchentry USING gin (search)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS knowledge_searchentry_search",
    "ALTER TABLE knowledge_searchentry DROP COLUMN IF EXISTS search",
]


class VendorRunSQL(migrations.RunSQL):
    """RunSQL for one database engine only; a no-op on the others."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_articles_and_index")]

    operations = [
        VendorRunSQL("sqlite", SQLITE_UP, SQLITE_DOWN),
        VendorRunSQL("postgresql", POSTGRES_UP, POSTGRES_DOWN),
    ]
