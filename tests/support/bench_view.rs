//! Looks at the app's Bench view that several stories share: which device cards it shows.

use fantoccini::{Client, Locator};

use crate::wait::Look;

/// The serials of the Bench view's cards, sorted.
pub async fn serials_shown(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for card in client
        .find_all(Locator::Css("#device-cards li.card"))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(s)) = card.attr("data-serial").await {
            out.push(s);
        }
    }
    out.sort();
    out
}

/// Look: the Bench view's cards are those of `serials` (sorted).
pub async fn serials_are(client: &Client, serials: &[String]) -> Look<Vec<String>> {
    let shown = serials_shown(client).await;
    if shown == serials {
        Ok(shown)
    } else {
        Err(format!("the Bench view's cards are {shown:?}"))
    }
}
