//! [`Application`]: this unit's application, whose status the leader sets,
//! or a remote one.

use super::{Secret, Shared};
use crate::error::ModelError;
use crate::types::{SecretMetadata, SecretOwner, Status, StringMap};
use std::fmt;
use std::rc::Rc;

/// An application: this unit's (whose status the leader sets) or a remote one.
#[derive(Clone)]
pub struct Application {
    name: String,
    shared: Rc<Shared>,
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Application({})", self.name)
    }
}

impl PartialEq for Application {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Application {}

impl Application {
    pub(crate) fn new(shared: &Rc<Shared>, name: String) -> Self {
        Application {
            name,
            shared: shared.clone(),
        }
    }

    /// The application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this is the charm's own application.
    pub fn is_our_app(&self) -> bool {
        self.name == self.shared.app_name()
    }

    fn ensure_ours(&self, action: &str) -> Result<(), ModelError> {
        if self.is_our_app() {
            Ok(())
        } else {
            Err(ModelError::NotOurs {
                what: format!("application {}", self.name),
                action: action.to_owned(),
            })
        }
    }

    fn ensure_leader(&self, action: &str) -> Result<(), ModelError> {
        if self.shared.backend.is_leader()? {
            Ok(())
        } else {
            tracing::trace!(target: "ops::security", "authz_fail: unit {} tried to {action}", self.shared.context.unit_name);
            Err(ModelError::NotLeader {
                action: action.to_owned(),
            })
        }
    }

    /// The application's status; only the leader may read it.
    pub fn status(&self) -> Result<Status, ModelError> {
        self.ensure_ours("get the status of")?;
        self.ensure_leader("get application status")?;
        self.shared.backend.status_get(true)
    }

    /// Sets the application's status; only the leader may.
    ///
    /// The checks run in ops' order: the application must be this unit's,
    /// then this unit must be the leader ([`ModelError::NotLeader`]), then
    /// the status must be one a charm may set ([`ModelError::InvalidStatus`]).
    pub fn set_status(&self, status: impl Into<Status>) -> Result<(), ModelError> {
        self.ensure_ours("set the status of")?;
        // Leadership first, then the status itself, in ops' order.
        self.ensure_leader("set application status")?;
        let status = status.into();
        if !status.is_settable() {
            return Err(ModelError::InvalidStatus {
                name: status.name().to_owned(),
            });
        }
        self.shared.backend.status_set(&status, true)
    }

    /// Adds a secret owned by the application (`secret-add --owner application`).
    ///
    /// Juju refuses this for non-leaders; the refusal comes back as an error.
    pub fn add_secret(
        &self,
        content: StringMap,
        metadata: SecretMetadata,
    ) -> Result<Secret, ModelError> {
        self.ensure_ours("add a secret to")?;
        Secret::add(&self.shared, content, SecretOwner::App, metadata)
    }

    /// How many units Juju plans for this application (from `goal-state`,
    /// not counting dying units).
    pub fn planned_units(&self) -> Result<usize, ModelError> {
        self.ensure_ours("count the planned units of")?;
        let goal = self.shared.backend.goal_state()?;
        Ok(goal.units.values().filter(|u| u.status != "dying").count())
    }
}
