//! File formats, pure: bytes in, bytes out, no I/O of their own.

pub mod csv;
pub mod csv_read;
pub mod vcard;
pub mod vcard_read;
pub mod xlsx;
