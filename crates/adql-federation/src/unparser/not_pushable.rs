//! [`NotPushable`]: why a part of a plan stays local.

/// Why a plan or expression cannot be sent to a service; that part stays local.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not pushable: {reason}")]
pub struct NotPushable {
    /// Human-readable reason, e.g. `function random is neither ADQL nor declared by the service`.
    pub reason: String,
}

impl NotPushable {
    /// A result with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}
