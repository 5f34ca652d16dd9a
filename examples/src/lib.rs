//! Runnable examples of p2psim: see the `examples/` folder of this package.
