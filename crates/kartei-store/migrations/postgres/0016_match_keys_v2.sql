-- Contacts get further blocking keys (birth date with the first name's sound, birth
-- year with the surname's, postcode with house number, postcode with the surname's
-- first letters). Keys are computed in Rust, so the table is emptied here and filled
-- again after the migration.
DELETE FROM match_keys;
