-- Who owns the page's groups and components: the page definition file (synced at start) or the
-- console and API (the file then leaves them alone).
ALTER TABLE page ADD COLUMN components_from text NOT NULL DEFAULT 'file' CHECK (components_from IN ('file', 'console'));
