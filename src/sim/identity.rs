//! The identity URL, `GET /id/{orgId}/{userId}`: the identity document (not the userinfo
//! shape), for a Bearer header or the token as `?oauth_token=` (how jsforce's `identity()`
//! calls it: `{identity}?format=json&oauth_token=...`). Keys as Salesforce documents them
//! ("Identity URLs", Mobile SDK and help `remoteaccess_using_openid`; summarised in
//! `../shared/reference/salesforce-oauth.md`): `id`, `asserted_user`, `user_id`,
//! `organization_id`, `username`, `nick_name`, `display_name`, `email`, `email_verified`,
//! `first_name`, `last_name`, `timezone`, `photos`, `addr_*`, `mobile_phone`, `status`,
//! `urls` (with the literal `{version}`; `?version=` fills it in), `active`, `user_type`,
//! `language`, `locale`, `utcOffset`, `last_modified_date`, `is_app_installed`.

use super::org::Org;
use serde_json::{json, Value};

/// The identity document of `user_id`. `version` (from `?version=`) replaces `{version}` in
/// the URLs.
pub fn document(org: &Org, base_url: &str, user_id: &str, version: Option<&str>) -> Value {
    let user = org.find("User", user_id).cloned().unwrap_or_default();
    let s = |k: &str| user.get(k).cloned().unwrap_or(Value::Null);
    let org_id = &org.info.id;
    let org15 = &org_id[..15.min(org_id.len())];
    let v = version.unwrap_or("{version}");
    let url = |path: String| format!("{base_url}{path}");
    json!({
        "id": format!("{base_url}/id/{org_id}/{user_id}"),
        "asserted_user": true,
        "user_id": user_id,
        "organization_id": org_id,
        "username": s("Username"),
        "nick_name": s("Alias"),
        "display_name": s("Name"),
        "email": s("Email"),
        "email_verified": true,
        "first_name": s("FirstName"),
        "last_name": s("LastName"),
        "timezone": s("TimeZoneSidKey"),
        "photos": {
            "picture": url("/profilephoto/005/F".into()),
            "thumbnail": url("/profilephoto/005/T".into()),
        },
        "addr_street": null, "addr_city": null, "addr_state": null,
        "addr_country": null, "addr_zip": null,
        "mobile_phone": null, "mobile_phone_verified": false,
        "is_lightning_login_user": false,
        "status": {"created_date": null, "body": null},
        "urls": {
            "enterprise": url(format!("/services/Soap/c/{v}/{org15}")),
            "metadata": url(format!("/services/Soap/m/{v}/{org15}")),
            "partner": url(format!("/services/Soap/u/{v}/{org15}")),
            "rest": url(format!("/services/data/v{v}/")),
            "sobjects": url(format!("/services/data/v{v}/sobjects/")),
            "search": url(format!("/services/data/v{v}/search/")),
            "query": url(format!("/services/data/v{v}/query/")),
            "recent": url(format!("/services/data/v{v}/recent/")),
            "tooling_soap": url(format!("/services/Soap/T/{v}/{org15}")),
            "tooling_rest": url(format!("/services/data/v{v}/tooling/")),
            "profile": url(format!("/{user_id}")),
            "feeds": url(format!("/services/data/v{v}/chatter/feeds")),
            "groups": url(format!("/services/data/v{v}/chatter/groups")),
            "users": url(format!("/services/data/v{v}/chatter/users")),
            "feed_items": url(format!("/services/data/v{v}/chatter/feed-items")),
            "custom_domain": base_url,
        },
        "active": s("IsActive"),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "last_modified_date": s("LastModifiedDate"),
        "is_app_installed": true,
    })
}

/// Whether the `/id/{org}/{user}` path names `user_id` of this org (15 or 18 characters).
pub fn names_user(org: &Org, id_path: &str, user_id: &str) -> bool {
    let mut parts = id_path.trim_matches('/').split('/');
    let (Some(org_part), Some(user_part), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let same = |given: &str, full: &str| {
        given == full || (given.len() == 15 && full.len() == 18 && full.starts_with(given))
    };
    same(org_part, &org.info.id) && same(user_part, user_id)
}
