//! Fault injection for retry and resume tests. Off unless a [`FaultPlan`] is installed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which requests to disturb and how. The default plan disturbs nothing.
///
/// A request *matches* when its method is in `methods` (or `methods` is empty) and its path
/// contains `path_contains` (if set). Matching requests are counted from 1 since the plan was
/// installed; a matching request is *selected* when `every` is set, when its number is in `nth`,
/// or with probability `ratio`. At most `limit` requests are selected (unlimited when `None`).
/// A selected request gets every effect that is set: `delay_ms`, then `status`, or
/// `cut_response_after` / `cut_request_after`.
///
/// ```
/// use jitstore_oss_server::FaultPlan;
/// // The 2nd and 3rd requests answer 503 SlowDown-like errors.
/// let plan = FaultPlan { nth: vec![2, 3], status: Some(503), ..FaultPlan::default() };
/// assert!(plan.is_active());
/// assert!(!FaultPlan::default().is_active());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Upper-case HTTP methods to consider (empty: all).
    pub methods: Vec<String>,
    /// Only requests whose decoded path contains this text.
    pub path_contains: Option<String>,
    /// Select every matching request.
    pub every: bool,
    /// Select the matching requests with these 1-based numbers.
    pub nth: Vec<u64>,
    /// Select matching requests with this probability (0.0..=1.0).
    pub ratio: f64,
    /// Select at most this many requests.
    pub limit: Option<u64>,
    /// Answer selected requests with this status (500 → `InternalError`, 503 → `ServiceUnavailable`,
    /// anything else → `InternalError` with that status).
    pub status: Option<u16>,
    /// Delay the answer of selected requests by this many milliseconds.
    pub delay_ms: u64,
    /// Close the connection after this many response-body bytes of selected requests.
    pub cut_response_after: Option<u64>,
    /// Stop reading the request body after this many bytes and close the connection.
    pub cut_request_after: Option<u64>,
}

impl FaultPlan {
    /// True when the plan can disturb any request.
    pub fn is_active(&self) -> bool {
        (self.every || !self.nth.is_empty() || self.ratio > 0.0)
            && (self.status.is_some()
                || self.delay_ms > 0
                || self.cut_response_after.is_some()
                || self.cut_request_after.is_some())
    }
}

/// What to do to one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultDecision {
    /// Wait this long before answering.
    pub delay: Option<Duration>,
    /// Answer with this status instead of serving the request.
    pub status: Option<u16>,
    /// Close the connection after this many response-body bytes.
    pub cut_response_after: Option<u64>,
    /// Close the connection after this many request-body bytes.
    pub cut_request_after: Option<u64>,
}

#[derive(Debug, Default)]
struct FaultState {
    plan: FaultPlan,
    seen: u64,
    fired: u64,
}

/// Shared, run-time changeable fault plan of a running server.
#[derive(Clone, Debug, Default)]
pub struct FaultHandle {
    state: Arc<Mutex<FaultState>>,
}

impl FaultHandle {
    /// A handle starting with `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        let handle = FaultHandle::default();
        handle.set(plan);
        handle
    }

    /// Installs a new plan and resets the counters.
    pub fn set(&self, plan: FaultPlan) {
        let mut state = crate::storage::lock(&self.state);
        *state = FaultState {
            plan,
            seen: 0,
            fired: 0,
        };
    }

    /// Removes all faults.
    pub fn clear(&self) {
        self.set(FaultPlan::default());
    }

    /// How many requests the current plan has disturbed.
    pub fn fired(&self) -> u64 {
        crate::storage::lock(&self.state).fired
    }

    /// Decides the fate of one request.
    pub fn decide(&self, method: &str, path: &str) -> FaultDecision {
        let mut state = crate::storage::lock(&self.state);
        if !state.plan.is_active() {
            return FaultDecision::default();
        }
        let plan = &state.plan;
        if !plan.methods.is_empty() && !plan.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return FaultDecision::default();
        }
        if let Some(needle) = &plan.path_contains {
            if !path.contains(needle.as_str()) {
                return FaultDecision::default();
            }
        }
        state.seen += 1;
        let plan = &state.plan;
        if plan.limit.is_some_and(|l| state.fired >= l) {
            return FaultDecision::default();
        }
        let selected = plan.every
            || plan.nth.contains(&state.seen)
            || (plan.ratio > 0.0 && rand::random::<f64>() < plan.ratio);
        if !selected {
            return FaultDecision::default();
        }
        let decision = FaultDecision {
            delay: (plan.delay_ms > 0).then(|| Duration::from_millis(plan.delay_ms)),
            status: plan.status,
            cut_response_after: plan.cut_response_after,
            cut_request_after: plan.cut_request_after,
        };
        state.fired += 1;
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_selects_only_the_listed_requests_of_matching_methods() {
        let h = FaultHandle::new(FaultPlan {
            methods: vec!["PUT".into()],
            nth: vec![2],
            status: Some(503),
            ..FaultPlan::default()
        });
        assert_eq!(h.decide("GET", "/b/k").status, None);
        assert_eq!(h.decide("PUT", "/b/k").status, None);
        assert_eq!(h.decide("PUT", "/b/k").status, Some(503));
        assert_eq!(h.decide("PUT", "/b/k").status, None);
        assert_eq!(h.fired(), 1);
    }

    #[test]
    fn limit_caps_every() {
        let h = FaultHandle::new(FaultPlan {
            every: true,
            limit: Some(2),
            status: Some(500),
            ..FaultPlan::default()
        });
        let hits = (0..5)
            .filter(|_| h.decide("GET", "/").status.is_some())
            .count();
        assert_eq!(hits, 2);
        h.clear();
        assert_eq!(h.decide("GET", "/"), FaultDecision::default());
    }
}
