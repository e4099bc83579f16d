//! ListObjectsV2, one page at a time or as a stream of pages.

use futures::Stream;
use http::Method;

use super::body::Body;
use super::transport::OssRequest;
use super::types::ListObjectsV2Options;
use super::Client;
use crate::error::OssError;
use crate::xml::{self, ListObjectsV2Page};

impl Client {
    /// ListObjectsV2: one page of keys (ascending byte order), with `encoding-type=url`
    /// handled transparently. Pass the previous page's `next_continuation_token` to continue.
    pub async fn list_objects_v2_page(
        &self,
        options: &ListObjectsV2Options,
        continuation_token: Option<&str>,
    ) -> Result<ListObjectsV2Page, OssError> {
        if let Some(n) = options.max_keys {
            if !(1..=1000).contains(&n) {
                return Err(OssError::invalid(
                    "max-keys",
                    format!("{n} is outside 1..=1000"),
                ));
            }
        }
        let body = Body::empty();
        let req = OssRequest::new("ListObjectsV2", Method::GET, None, &body)
            .query("list-type", "2")
            .query("encoding-type", "url")
            .query_opt("prefix", options.prefix.clone())
            .query_opt("delimiter", options.delimiter.clone())
            .query_opt("start-after", options.start_after.clone())
            .query_opt("max-keys", options.max_keys.map(|n| n.to_string()))
            .query_opt("continuation-token", continuation_token);
        let bytes = self.execute(req).await?.bytes().await?;
        xml::parse_list_objects_v2(&bytes)
            .map_err(|e| OssError::protocol("ListObjectsV2", e.to_string()))
    }

    /// ListObjectsV2 as a stream of pages, following continuation tokens until the listing
    /// ends. The stream stops after the first error (which it yields).
    ///
    /// ```no_run
    /// # async fn demo(client: jitstore_oss::client::Client) -> Result<(), jitstore_oss::error::OssError> {
    /// use futures::TryStreamExt;
    /// use jitstore_oss::client::ListObjectsV2Options;
    ///
    /// let options = ListObjectsV2Options { prefix: Some("logs/".into()), ..Default::default() };
    /// let pages: Vec<_> = client.list_objects_v2(options).try_collect().await?;
    /// let keys: Vec<String> = pages.into_iter().flat_map(|p| p.contents).map(|o| o.key).collect();
    /// # Ok(()) }
    /// ```
    pub fn list_objects_v2(
        &self,
        options: ListObjectsV2Options,
    ) -> impl Stream<Item = Result<ListObjectsV2Page, OssError>> + Send + 'static {
        enum State {
            Next(Option<String>),
            Done,
        }
        let client = self.clone();
        futures::stream::try_unfold(State::Next(None), move |state| {
            let client = client.clone();
            let options = options.clone();
            async move {
                let token = match state {
                    State::Done => return Ok(None),
                    State::Next(t) => t,
                };
                let page = client
                    .list_objects_v2_page(&options, token.as_deref())
                    .await?;
                let next = match (&page.next_continuation_token, page.is_truncated) {
                    (Some(t), true) if Some(t) != token.as_ref() => State::Next(Some(t.clone())),
                    (None, true) => {
                        return Err(OssError::protocol(
                            "ListObjectsV2",
                            "truncated page without NextContinuationToken",
                        ))
                    }
                    (Some(_), true) => {
                        return Err(OssError::protocol(
                            "ListObjectsV2",
                            "server repeated the same continuation token",
                        ))
                    }
                    _ => State::Done,
                };
                Ok(Some((page, next)))
            }
        })
    }
}
