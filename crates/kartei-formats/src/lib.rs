//! File formats, pure: bytes in, bytes out, no files of their own (a reader of long
//! files is handed the reader to read from).

pub mod csv;
pub mod csv_read;
pub mod vcard;
pub mod vcard_read;
pub mod xlsx;
