//! Integration tests of the kernel through its public API.

mod order;
mod windows;
