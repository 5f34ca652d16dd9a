//! Agreement with the theory of epidemics.
