//! Protocols written in Python, run as services: a Python class with the protocol API's handlers
//! (`on_start`, `on_message`, `on_timer`, `on_inject`), one instance per peer, registered by name
//! so that experiment files use it like any service (`("gossip", PyGossip(fanout: 3))`, the
//! fields passed to the class as keyword arguments).
//!
//! Each call builds a Python `Context` (`p2psim._context`): the time, the peer, its neighbours, the
//! peer's own `random.Random` (seeded from the peer's ChaCha8 stream, so runs repeat), the ids of
//! the messages it stored; what the handler does (send, set a timer, store, produce, connect) is
//! recorded there and applied here when it returns, in order, at the same simulated time. A
//! Python exception stops the protocols (later calls do nothing) and is raised again by `run` or
//! `sweep` when the run ends.
//!
//! What it is not: fast. Every call takes the interpreter: about 10 µs per message handled, where
//! the same protocol in Rust runs a whole event in under a microsecond (BENCHMARKS.md, "Python").

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use p2psim::protocol::{
    BuildCx, CheckCx, ConfigError, Context, Injected, MsgIdx, PeerId, PeerInit, Protocol, RngExt, Role, ServiceConfig,
    SimDuration, UserMessage,
};
use p2psim::serde::{Deserialize, Deserializer, Serialize, Serializer};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyTuple};

/// The first exception a Python protocol raised in this process since the last run started, and
/// whether there is one (read at every call, so that a failed run does nothing more).
static FAILURE: Mutex<Option<PyErr>> = Mutex::new(None);
static FAILED: AtomicBool = AtomicBool::new(false);

/// Forgets an earlier run's failure (before a run starts).
pub(crate) fn clear_failure() {
    FAILED.store(false, Ordering::SeqCst);
    *FAILURE.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// The exception a Python protocol raised during the run, if one did.
pub(crate) fn take_failure() -> Option<PyErr> {
    FAILED.store(false, Ordering::SeqCst);
    FAILURE.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
}

fn fail(e: PyErr) {
    let mut slot = FAILURE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if slot.is_none() {
        *slot = Some(e);
    }
    FAILED.store(true, Ordering::SeqCst);
}

/// The protocols of a Python call: `protocols` maps names to classes.
pub(crate) fn catalog(py: Python<'_>, protocols: Option<&Bound<'_, PyDict>>) -> PyResult<p2psim::Protocols> {
    let mut cat = p2psim::Protocols::new();
    let Some(protocols) = protocols else { return Ok(cat) };
    let context = py.import("p2psim._context")?.getattr("Context")?.unbind();
    let context = Arc::new(context);
    for (name, class) in protocols.iter() {
        let name: String = name.extract()?;
        if p2psim::services::BUILT_IN.contains(&name.as_str()) {
            return Err(PyValueError::new_err(format!("`{name}` is a built-in service's name; choose another")));
        }
        let class = Arc::new(class.unbind());
        let context = Arc::clone(&context);
        let registered = name.clone();
        cat.register_with(&name, move |d| {
            let params: serde_json::Map<String, serde_json::Value> = p2psim::services::erased_serde::deserialize(d)?;
            Ok(PyConfig { name: registered.clone(), class: Arc::clone(&class), context: Arc::clone(&context), params })
        });
    }
    Ok(cat)
}

/// A Python protocol's class and the fields the experiment gives it.
#[derive(Clone)]
pub(crate) struct PyConfig {
    name: String,
    class: Arc<Py<PyAny>>,
    context: Arc<Py<PyAny>>,
    params: serde_json::Map<String, serde_json::Value>,
}

impl fmt::Debug for PyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.name, self.params)
    }
}

impl Serialize for PyConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.params.serialize(s)
    }
}

/// Never used: a Python protocol's configuration is read through its registration, which knows
/// the class.
impl<'de> Deserialize<'de> for PyConfig {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<PyConfig, D::Error> {
        Err(p2psim::serde::de::Error::custom("a Python protocol is read through its registration"))
    }
}

/// The fields as Python keyword arguments.
fn kwargs<'py>(py: Python<'py>, params: &serde_json::Map<String, serde_json::Value>) -> PyResult<Bound<'py, PyDict>> {
    let text = serde_json::to_string(params).expect("JSON values serialise");
    py.import("json")?.call_method1("loads", (text,))?.cast_into::<PyDict>().map_err(PyErr::from)
}

impl ServiceConfig for PyConfig {
    type Protocol = PyProtocol;

    /// A class attribute `role = "source"` or `"links"` says what the protocol does; by default
    /// it spreads messages.
    fn role(&self) -> Role {
        Python::attach(|py| {
            let role = self.class.bind(py).getattr("role").ok().and_then(|r| r.extract::<String>().ok());
            match role.as_deref() {
                Some("source") => Role::Source,
                Some("links") => Role::Links,
                _ => Role::Dissemination,
            }
        })
    }

    /// The class must accept the fields: one instance is made to see.
    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        Python::attach(|py| {
            let made = kwargs(py, &self.params).and_then(|kw| self.class.bind(py).call((), Some(&kw)));
            made.map(|_| ())
                .map_err(|e| ConfigError::here(format!("{}(…) does not accept these fields: {e}", self.name)))
        })
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> PyProtocol {
        let types = Python::attach(|py| {
            let names: Vec<&str> = cx.peer_types().collect();
            PyList::new(py, names).expect("a list of names").unbind()
        });
        PyProtocol { config: self.clone(), types }
    }
}

/// A Python protocol for the peers of one type.
pub(crate) struct PyProtocol {
    config: PyConfig,
    /// Every peer's type name, by id (`ctx.type_of(q)`), made once per run.
    types: Py<PyList>,
}

/// A peer's instance of the class, its `random.Random`, and the ids of the messages it stored.
pub(crate) struct PyPeer {
    instance: Py<PyAny>,
    rng: Py<PyAny>,
    seen: Py<PySet>,
}

/// A message of a Python protocol: any Python object, with its `size` (bytes, default 1024) and
/// `updates` (default 1) read when it is sent.
pub(crate) struct PyMessage {
    object: Py<PyAny>,
    size: u32,
    updates: u32,
}

impl UserMessage for PyMessage {
    const KINDS: &'static [&'static str] = &["PythonMessage"];

    fn size(&self) -> u32 {
        self.size
    }

    fn updates(&self) -> u32 {
        self.updates
    }
}

/// What a handler is called for.
enum Call<'a> {
    Start,
    Message(PeerId, &'a PyMessage),
    Timer(u32),
    Inject(Injected),
}

impl PyProtocol {
    /// Calls the peer's handler, then applies what it recorded.
    fn call(&self, peer: &mut PyPeer, cx: &mut Context<'_, PyMessage>, call: Call<'_>) {
        if FAILED.load(Ordering::Relaxed) {
            return;
        }
        if let Err(e) = Python::attach(|py| self.call_in(py, peer, cx, call)) {
            fail(e);
        }
    }

    fn call_in(
        &self,
        py: Python<'_>,
        peer: &mut PyPeer,
        cx: &mut Context<'_, PyMessage>,
        call: Call<'_>,
    ) -> PyResult<()> {
        let neighbours: Vec<u32> = cx.neighbours().iter().map(|p| p.0).collect();
        let ctx = self.config.context.bind(py).call1((
            cx.now().as_millis_f64(),
            cx.peer().0,
            neighbours,
            peer.rng.bind(py),
            peer.seen.bind(py),
            cx.messages().len(),
            self.types.bind(py),
        ))?;
        let instance = peer.instance.bind(py);
        match call {
            Call::Start => instance.call_method1("on_start", (&ctx,))?,
            Call::Message(from, m) => instance.call_method1("on_message", (&ctx, from.0, m.object.bind(py)))?,
            Call::Timer(tag) => instance.call_method1("on_timer", (&ctx, tag))?,
            Call::Inject(i) => instance.call_method1("on_inject", (&ctx, i.msg.0, i.ttl))?,
        };
        let actions = ctx.getattr("_actions")?.cast_into::<PyList>().map_err(PyErr::from)?;
        for action in actions.iter() {
            let action = action.cast_into::<PyTuple>().map_err(PyErr::from)?;
            let op: String = action.get_item(0)?.extract()?;
            self.apply(py, cx, &op, &action)?;
        }
        Ok(())
    }

    /// Applies one recorded action, refusing what would not make sense (a peer that does not
    /// exist, a message not produced, a negative delay).
    fn apply(&self, py: Python<'_>, cx: &mut Context<'_, PyMessage>, op: &str, a: &Bound<'_, PyTuple>) -> PyResult<()> {
        let peer = |i: usize| -> PyResult<PeerId> {
            let q: u32 = a.get_item(i)?.extract()?;
            if q as usize >= cx.peer_count() {
                return Err(PyValueError::new_err(format!("peer {q} does not exist ({} peers)", cx.peer_count())));
            }
            Ok(PeerId(q))
        };
        match op {
            "send" | "send_any" => {
                let to = peer(1)?;
                let object = a.get_item(2)?;
                let size: u32 = match object.getattr("size") {
                    Ok(s) => s.extract()?,
                    Err(_) => 1024,
                };
                let updates: u32 = match object.getattr("updates") {
                    Ok(u) => u.extract()?,
                    Err(_) => 1,
                };
                let m = PyMessage { object: object.unbind(), size, updates };
                if op == "send" { cx.send(to, m) } else { cx.send_connectionless(to, m) }
            }
            "timer" => {
                let after: f64 = a.get_item(1)?.extract()?;
                let tag: u32 = a.get_item(2)?.extract()?;
                if !(after.is_finite() && after >= 0.0) {
                    return Err(PyValueError::new_err(format!("set_timer: {after} ms is not a delay")));
                }
                cx.set_timer(SimDuration::from_millis_f64(after), tag);
            }
            "store" => {
                let m: u32 = a.get_item(1)?.extract()?;
                let hops: u8 = a.get_item(2)?.extract::<u32>()?.min(255) as u8;
                if m as usize >= cx.messages().len() {
                    return Err(PyValueError::new_err(format!("store: message {m} was never produced")));
                }
                cx.store(MsgIdx(m), hops);
            }
            "produce" => {
                let size: u32 = a.get_item(1)?.extract()?;
                let expected: u32 = a.get_item(2)?.extract()?;
                let m = cx.produce(size);
                debug_assert_eq!(m.0, expected, "ids are given in production order");
            }
            "connect" => cx.connect(peer(1)?),
            "disconnect" => cx.disconnect(peer(1)?),
            other => return Err(PyValueError::new_err(format!("unknown action `{other}`"))),
        }
        let _ = py;
        Ok(())
    }
}

impl Protocol for PyProtocol {
    type Message = PyMessage;
    type State = PyPeer;

    fn init(&self, peer: &mut PeerInit<'_>) -> PyPeer {
        let seed: u64 = peer.rng().random();
        Python::attach(|py| {
            let make = || -> PyResult<PyPeer> {
                let kw = kwargs(py, &self.config.params)?;
                let instance = self.config.class.bind(py).call((), Some(&kw))?.unbind();
                let rng = py.import("random")?.getattr("Random")?.call1((seed,))?.unbind();
                Ok(PyPeer { instance, rng, seen: PySet::empty(py)?.unbind() })
            };
            make().unwrap_or_else(|e| {
                fail(e);
                PyPeer { instance: py.None(), rng: py.None(), seen: PySet::empty(py).expect("an empty set").unbind() }
            })
        })
    }

    fn on_start(&self, state: &mut PyPeer, cx: &mut Context<'_, PyMessage>) {
        self.call(state, cx, Call::Start);
    }

    fn on_message(&self, state: &mut PyPeer, cx: &mut Context<'_, PyMessage>, from: PeerId, msg: &PyMessage) {
        self.call(state, cx, Call::Message(from, msg));
    }

    fn on_timer(&self, state: &mut PyPeer, cx: &mut Context<'_, PyMessage>, tag: u32) {
        self.call(state, cx, Call::Timer(tag));
    }

    fn on_inject(&self, state: &mut PyPeer, cx: &mut Context<'_, PyMessage>, injected: Injected) {
        self.call(state, cx, Call::Inject(injected));
    }
}
