//! Kinds of messages: the built-in ones and those of protocols written outside this crate, each
//! with a name that traffic tables count it by.
//!
//! A run's kinds are numbered densely ([`KindId`]): the built-in [`Kind`]s first, in their fixed
//! order, then each user message type's kinds in the order the types were first met when the
//! world was built. A protocol's messages are any type that is [`Wire`]: the built-in
//! [`Message`], or a type of your own that implements [`UserMessage`].
//!
//! What it is not: routing (the world routes a delivered message to every service of the
//! receiver's type that handles its kind).

use std::any::TypeId;
use std::borrow::Cow;

use crate::message::{Kind, Message, UserBody};

/// A kind of message, numbered in the run's kind table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub u16);

impl KindId {
    /// As an index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A message type of your own protocol.
///
/// ```
/// use p2psim_services::{MsgIdx, UserMessage};
///
/// /// Notebook 02's gossip message: 1024 bytes, with a time to live.
/// #[derive(Clone, Debug)]
/// struct GossipMessage { msg: MsgIdx, ttl: u32, hops: u8 }
///
/// impl UserMessage for GossipMessage {
///     const KINDS: &'static [&'static str] = &["GossipMessage"];
///     fn size(&self) -> u32 { 1024 }
///     fn updates(&self) -> u32 { 1 }
/// }
/// ```
///
/// An enum with several kinds lists their names in `KINDS` and says which one a value is in
/// [`UserMessage::kind`].
pub trait UserMessage: Send + Sync + 'static {
    /// The names of this type's kinds, as traffic tables show them. Not empty.
    const KINDS: &'static [&'static str];

    /// Which of [`UserMessage::KINDS`] this message is (the first, by default).
    fn kind(&self) -> usize {
        0
    }

    /// Size on the wire, in bytes: what transmission delays and traffic count.
    fn size(&self) -> u32;

    /// How many copies of an update (a produced message) it carries: 1 for a message that pushes
    /// one, 0 for control messages (the default). Demers' traffic m counts these.
    fn updates(&self) -> u32 {
        0
    }
}

/// What a protocol's messages can be: the built-in [`Message`], or any [`UserMessage`]. This
/// trait is how the world puts them on the wire and takes them off it; you never implement it.
pub trait Wire: Sized + Send + Sync + 'static {
    /// Registers the type's kinds (once per run) and returns the first one's number.
    #[doc(hidden)]
    fn register(kinds: &mut Kinds) -> KindId;

    /// The kinds of this type, given the first one's number.
    #[doc(hidden)]
    fn all_kinds(base: KindId) -> Vec<KindId>;

    /// As a message on the wire.
    #[doc(hidden)]
    fn wrap(self, base: KindId) -> Message;

    /// Off the wire, if the message is of this type.
    #[doc(hidden)]
    fn unwrap(msg: &Message) -> Option<&Self>;
}

impl Wire for Message {
    fn register(_: &mut Kinds) -> KindId {
        KindId(0)
    }

    fn all_kinds(_: KindId) -> Vec<KindId> {
        Kind::ALL.iter().map(|k| k.id()).collect()
    }

    #[inline]
    fn wrap(self, _: KindId) -> Message {
        self
    }

    #[inline]
    fn unwrap(msg: &Message) -> Option<&Message> {
        Some(msg)
    }
}

impl<T: UserMessage> Wire for T {
    fn register(kinds: &mut Kinds) -> KindId {
        kinds.register(TypeId::of::<T>(), T::KINDS)
    }

    fn all_kinds(base: KindId) -> Vec<KindId> {
        (0..T::KINDS.len() as u16).map(|i| KindId(base.0 + i)).collect()
    }

    fn wrap(self, base: KindId) -> Message {
        let kind = self.kind();
        assert!(kind < T::KINDS.len(), "UserMessage::kind returned {kind}, but KINDS has {} names", T::KINDS.len());
        let (size, updates) = (self.size(), self.updates());
        Message::User { kind: KindId(base.0 + kind as u16), body: UserBody::new(size, updates, self) }
    }

    fn unwrap(msg: &Message) -> Option<&T> {
        match msg {
            Message::User { body, .. } => body.get::<T>(),
            _ => None,
        }
    }
}

/// The kinds of one run: names, and which Rust type each user kind belongs to.
#[derive(Clone, Debug)]
pub struct Kinds {
    names: Vec<Cow<'static, str>>,
    /// Per registered user type: the type and its first kind.
    types: Vec<(TypeId, KindId)>,
}

impl Default for Kinds {
    fn default() -> Self {
        Kinds { names: Kind::ALL.iter().map(|k| Cow::Borrowed(k.name())).collect(), types: Vec::new() }
    }
}

impl Kinds {
    /// The built-in kinds only.
    pub fn new() -> Kinds {
        Kinds::default()
    }

    fn register(&mut self, ty: TypeId, names: &'static [&'static str]) -> KindId {
        if let Some(&(_, base)) = self.types.iter().find(|(t, _)| *t == ty) {
            return base;
        }
        assert!(!names.is_empty(), "a UserMessage type lists at least one kind in KINDS");
        let base = KindId(u16::try_from(self.names.len()).expect("fewer than 65536 kinds"));
        self.names.extend(names.iter().map(|n| Cow::Borrowed(*n)));
        self.types.push((ty, base));
        base
    }

    /// Number of kinds.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false: the built-in kinds are there.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of a kind.
    pub fn name(&self, k: KindId) -> &str {
        &self.names[k.index()]
    }

    /// Every kind, in order.
    pub fn all(&self) -> impl ExactSizeIterator<Item = KindId> + use<> {
        (0..self.names.len() as u16).map(KindId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p2psim_net::Payload;

    #[derive(Debug, PartialEq)]
    enum Chat {
        Hi,
        Text(String),
    }

    impl UserMessage for Chat {
        const KINDS: &'static [&'static str] = &["Hi", "Text"];
        fn kind(&self) -> usize {
            match self {
                Chat::Hi => 0,
                Chat::Text(_) => 1,
            }
        }
        fn size(&self) -> u32 {
            match self {
                Chat::Hi => 8,
                Chat::Text(t) => 8 + t.len() as u32,
            }
        }
    }

    struct Other;

    impl UserMessage for Other {
        const KINDS: &'static [&'static str] = &["Other"];
        fn size(&self) -> u32 {
            1
        }
        fn updates(&self) -> u32 {
            1
        }
    }

    #[test]
    fn user_kinds_follow_the_built_ins_and_messages_round_trip() {
        let mut kinds = Kinds::new();
        let chat = <Chat as Wire>::register(&mut kinds);
        assert_eq!(chat, KindId(Kind::COUNT as u16));
        assert_eq!(<Chat as Wire>::register(&mut kinds), chat, "a type registers once");
        let other = <Other as Wire>::register(&mut kinds);
        assert_eq!(other, KindId(chat.0 + 2));
        assert_eq!(kinds.name(KindId(chat.0 + 1)), "Text");
        assert_eq!(kinds.name(Kind::Gossip.id()), "GossipMessage");
        let m = Chat::Text("hello".into()).wrap(chat);
        assert_eq!((m.kind_id(), m.size(), m.updates()), (KindId(chat.0 + 1), 13, 0));
        assert_eq!(<Chat as Wire>::unwrap(&m), Some(&Chat::Text("hello".into())));
        assert!(<Other as Wire>::unwrap(&m).is_none(), "another type's message is not mine");
        assert_eq!(m.kind(), None, "not a built-in kind");
        assert_eq!(m.clone(), m, "a clone is the same message");
        assert_eq!(Other.wrap(other).updates(), 1);
        assert_eq!(Chat::Hi.wrap(chat).kind_id(), chat);
        assert_eq!(std::mem::size_of::<Message>(), 16);
    }
}
