//! A bound on the bytes one producer may have queued for a consumer on another thread.
//!
//! The producer (a request task) takes bytes from the budget before it queues a chunk and
//! waits while the budget is spent; the consumer (a hashing or writing thread) gives them back
//! once it is done with the chunk. Memory per upload stays bounded however chunks are sized.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Shared between one producer and its consumer; clones refer to the same budget.
#[derive(Clone, Debug)]
pub struct ByteBudget {
    permits: Arc<Semaphore>,
    limit: usize,
}

impl ByteBudget {
    /// A budget of `limit` bytes (at least one).
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        ByteBudget {
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// Waits until `len` bytes (capped at the whole budget, so that a chunk larger than it
    /// still passes once everything else was given back) are available and takes them;
    /// returns the amount to give back with [`ByteBudget::give_back`].
    pub async fn take(&self, len: usize) -> std::io::Result<u32> {
        // `limit` fits in u32 (clamped in `new`).
        let amount = u32::try_from(len.min(self.limit)).unwrap_or(u32::MAX);
        let permits = self
            .permits
            .acquire_many(amount)
            .await
            .map_err(|_| std::io::Error::other("the byte budget was closed"))?;
        permits.forget();
        Ok(amount)
    }

    /// Returns bytes taken by [`ByteBudget::take`].
    pub fn give_back(&self, amount: u32) {
        self.permits.add_permits(amount as usize);
    }

    /// Ends the budget: pending and later [`ByteBudget::take`] calls fail (the consumer is gone).
    pub fn close(&self) {
        self.permits.close();
    }

    /// Bytes not taken at the moment.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spent_budget_waits_until_bytes_are_given_back() {
        let budget = ByteBudget::new(100);
        let first = budget.take(70).await.expect("take");
        assert_eq!(first, 70);
        assert_eq!(budget.available(), 30);
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.take(50).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "took more than the budget");
        budget.give_back(first);
        let second = waiter.await.expect("join").expect("take");
        assert_eq!(second, 50);
        assert_eq!(budget.available(), 50);
    }

    #[tokio::test]
    async fn a_chunk_larger_than_the_budget_takes_all_of_it() {
        let budget = ByteBudget::new(10);
        assert_eq!(budget.take(1000).await.expect("take"), 10);
        assert_eq!(budget.available(), 0);
    }

    #[tokio::test]
    async fn closing_fails_a_waiting_take() {
        let budget = ByteBudget::new(10);
        budget.take(10).await.expect("take");
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.take(1).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        budget.close();
        let err = waiter.await.expect("join").expect_err("closed");
        assert!(err.to_string().contains("closed"), "{err}");
    }
}
