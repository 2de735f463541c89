-- Files uploaded in the browser for an import, kept until the import finishes (so a
-- restart of the server loses neither the upload nor an interrupted import's file).
CREATE TABLE import_uploads (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL,
    file_name TEXT NOT NULL,
    sheet TEXT,
    content BLOB NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX import_uploads_uploaded_at ON import_uploads(uploaded_at);
