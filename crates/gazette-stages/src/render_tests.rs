//! The article page's content: its description, its structured data and meta tags, and its navigation.

use super::*;
use gazette_render::Theme;

fn validated(title: &str, updated_at: Option<&str>) -> ValidatedArticle {
    let mut article = serde_json::json!({
        "id": "ntl-1", "revision": 2, "title": title,
        "category": {"slug": "y-te", "name": "Y tế"},
        "published_at": "2022-06-23T15:04:00+07:00", "author": "Thanh Hải",
        "lead": "(NTL) Sáng ngày 23/6", "tags": ["tiêm chủng", "<b>"],
        "body": {"format": "html", "content": "<p>x</p>"},
    });
    if let Some(at) = updated_at {
        article["updated_at"] = serde_json::json!(at);
    }
    ValidatedArticle {
        article: serde_json::from_value(article).unwrap_or_else(|e| panic!("{e}")),
        slug: "thong-bao".to_owned(),
        body_html: "<p>x</p>".to_owned(),
    }
}

fn pages(public_url: Option<&str>) -> ArticlePages {
    pages_counting(public_url, None)
}

fn pages_counting(public_url: Option<&str>, views_api: Option<&str>) -> ArticlePages {
    let renderer = Renderer::new(&Theme::built_in()).unwrap_or_else(|e| panic!("{e}"));
    ArticlePages::new(
        std::sync::Arc::new(renderer),
        SiteSettings {
            name: "Cổng thông tin quận".to_owned(),
            public_url: public_url.map(str::to_owned),
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            sections: vec![
                Section {
                    slug: "thoi-su".to_owned(),
                    name: "Thời sự".to_owned(),
                },
                Section {
                    slug: "y-te".to_owned(),
                    name: "Y tế".to_owned(),
                },
            ],
            views_api: views_api.map(str::to_owned),
        },
    )
}

/// The page's one JSON-LD block, parsed.
fn json_ld(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open).map(|at| at + open.len());
    let end = start.and_then(|start| html[start..].find("</script>").map(|len| start + len));
    match (start, end) {
        (Some(start), Some(end)) => serde_json::from_str(&html[start..end])
            .unwrap_or_else(|e| panic!("{e} in {}", &html[start..end])),
        _ => panic!("no JSON-LD in {html}"),
    }
}

#[test]
fn a_corrected_revision_states_when_it_was_modified() {
    let html = pages(Some("https://quan.example.vn"))
        .render(
            &validated("Thông báo", Some("2022-06-24T08:30:00+07:00")),
            "y-te/thong-bao.html",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let graph = json_ld(&html);
    assert_eq!(graph[0]["datePublished"], "2022-06-23T15:04:00+07:00");
    assert_eq!(graph[0]["dateModified"], "2022-06-24T08:30:00+07:00");
    assert_eq!(
        graph[0]["url"],
        "https://quan.example.vn/y-te/thong-bao.html"
    );
    assert_eq!(
        graph[1]["itemListElement"][1]["item"],
        "https://quan.example.vn/y-te/"
    );
    assert!(html.contains(
        r#"<meta property="article:modified_time" content="2022-06-24T08:30:00+07:00">"#
    ));
    assert!(
        html.contains(r#"<meta property="article:tag" content="&lt;b&gt;">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/y-te/" aria-current="true">Y tế</a>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<a href="/thoi-su/">Thời sự</a>"#),
        "{html}"
    );

    // An edit stamped before publication (a scheduled notice) is no modification.
    let early = pages(None)
        .render(
            &validated("Thông báo", Some("2022-06-20T08:30:00+07:00")),
            "y-te/thong-bao.html",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json_ld(&early)[0]["dateModified"],
        "2022-06-23T15:04:00+07:00"
    );
}

#[test]
fn a_title_that_closes_the_script_stays_inside_it() {
    let title = "Tin </script><script>alert(1)</script> <!-- nóng";
    let html = pages(Some("https://quan.example.vn/"))
        .render(&validated(title, None), "y-te/tin.html")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(html.matches("</script>").count(), 1, "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert_eq!(json_ld(&html)[0]["headline"], title);
}

#[test]
fn description_prefers_the_lead_and_is_cut_on_characters() {
    assert_eq!(description("", "Tiêu đề"), "Tiêu đề");
    let long = "ệ".repeat(200);
    assert_eq!(
        description(&long, "x").chars().count(),
        DESCRIPTION_CHARS + 1
    );
}

#[test]
fn the_view_counter_is_a_deferred_script_and_hidden_without_it() {
    let html = pages_counting(None, Some("https://api.quan.example.vn/gazette"))
        .render(&validated("Thông báo", None), "y-te/thong-bao.html")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        html.contains(r#"data-views="https://api.quan.example.vn/gazette/views/"#),
        "{html}"
    );
    // Hidden until the script has a count: blocked, the page reads the same.
    assert!(
        html.contains("hidden> | Lượt xem: <span class=\"views-count\"></span>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<script src="/assets/views.js" defer></script>"#),
        "{html}"
    );
    // No API configured, no counter and no script.
    let plain = pages(None)
        .render(&validated("Thông báo", None), "y-te/thong-bao.html")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !plain.contains("data-views") && !plain.contains("views.js"),
        "{plain}"
    );
}
