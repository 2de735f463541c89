-- Files uploaded in the browser for an import, kept until the import finishes (so a
-- restart of the server loses neither the upload nor an interrupted import's file).
CREATE TABLE import_uploads (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL,
    file_name TEXT NOT NULL,
    sheet TEXT,
    content BYTEA NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX import_uploads_uploaded_at ON import_uploads(uploaded_at);
