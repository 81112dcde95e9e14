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
        images: Vec::new(),
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
            search: true,
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

fn stored(
    src: &str,
    id: char,
    width: u32,
    height: u32,
    widths: &[u32],
    social: bool,
) -> gazette_contract::StoredImage {
    let id: String = std::iter::repeat_n(id, 64).collect();
    gazette_contract::StoredImage {
        src: src.to_owned(),
        social: social.then(|| gazette_contract::SocialCrop {
            key: format!("media/{id}/social-500-400.jpg"),
            width: 1200,
            height: 630,
        }),
        id,
        width,
        height,
        colour: "#6b5a4e".to_owned(),
        widths: widths.to_vec(),
        webp: true,
        original: String::new(),
    }
}

#[test]
fn pictures_become_picture_elements_with_their_size_and_the_cover_a_social_card() {
    let mut validated = validated("Thông báo", None);
    validated.article.cover_image = Some(gazette_contract::CoverImage {
        src: "https://cms.example.vn/bia.jpg".to_owned(),
        alt: "Toàn cảnh <hội nghị>".to_owned(),
        decorative: false,
        caption: Some("Hội nghị lần thứ 14.".to_owned()),
        credit: Some("Ảnh: Thanh Hải".to_owned()),
        focal_point: None,
    });
    validated.body_html = r#"<p>Mở đầu <img src="https://cms.example.vn/a.png" alt="Đại biểu &quot;biểu quyết&quot;"></p><p><img src="https://cms.example.vn/not-stored.png" alt="cũ"></p>"#.to_owned();
    validated.images = vec![
        stored(
            "https://cms.example.vn/bia.jpg",
            'b',
            4000,
            2667,
            &[320, 640, 960, 1280, 1920],
            true,
        ),
        stored(
            "https://cms.example.vn/a.png",
            'a',
            500,
            1000,
            &[320],
            false,
        ),
    ];
    let html = pages(Some("https://quan.example.vn/"))
        .render(&validated, "tin-tuc/thong-bao.html")
        .unwrap();
    let (b, a) = ("b".repeat(64), "a".repeat(64));
    assert!(html.contains(&format!(r#"<source type="image/webp" srcset="/media/{b}/320.webp 320w, /media/{b}/640.webp 640w"#)), "{html}");
    assert!(html.contains(&format!(
        r#"<img src="/media/{b}/960.jpg" srcset="/media/{b}/320.jpg 320w"#
    )));
    assert!(html.contains(r#"width="4000" height="2667" alt="Toàn cảnh &lt;hội nghị&gt;" fetchpriority="high" decoding="async""#), "{html}");
    assert!(html.contains(
        "<figcaption>Hội nghị lần thứ 14. <span class=\"credit\">Ảnh: Thanh Hải</span></figcaption>"
    ));
    assert!(
        html.contains(&format!(
            r#"<p>Mở đầu <picture><source type="image/webp" srcset="/media/{a}/320.webp 320w""#
        )),
        "{html}"
    );
    assert!(html.contains(r#"width="500" height="1000" alt="Đại biểu &quot;biểu quyết&quot;" loading="lazy" decoding="async""#), "{html}");
    assert!(
        html.contains(r#"<img src="https://cms.example.vn/not-stored.png" alt="cũ">"#),
        "an unstored picture is left as it was"
    );
    assert!(html.contains(&format!(r#"<meta property="og:image" content="https://quan.example.vn/media/{b}/social-500-400.jpg">"#)));
    assert!(html.contains(r#"<meta name="twitter:card" content="summary_large_image">"#));
    assert!(html.contains(&format!(r#""image":{{"@type":"ImageObject","url":"https://quan.example.vn/media/{b}/social-500-400.jpg""#)) || html.contains("ImageObject"), "{html}");
    // Without a public URL there is no absolute address for a card.
    let html = pages(None)
        .render(&validated, "tin-tuc/thong-bao.html")
        .unwrap();
    assert!(!html.contains("og:image") && html.contains("fetchpriority"));
}

#[test]
fn a_hand_off_past_the_media_stage_must_name_no_picture() {
    let text_only = validated("Thông báo", None);
    assert!(refuse_unstored_pictures(&text_only).is_ok());
    // A tag without a source names nothing to fetch, as media sees it.
    let mut no_source = validated("Thông báo", None);
    no_source.body_html = r#"<p>x <img alt="trống"></p>"#.to_owned();
    assert!(refuse_unstored_pictures(&no_source).is_ok());

    let mut in_body = validated("Thông báo", None);
    in_body.body_html = r#"<p>x <IMG SRC="https://cms.example.vn/a.png" alt=""></p>"#.to_owned();
    let mut cover = validated("Thông báo", None);
    cover.article.cover_image = Some(gazette_contract::CoverImage {
        src: "https://cms.example.vn/bia.jpg".to_owned(),
        alt: "Bìa".to_owned(),
        decorative: false,
        caption: None,
        credit: None,
        focal_point: None,
    });
    // Stored pictures nobody names: variants no media stage vouched for.
    let mut carried = validated("Thông báo", None);
    carried.images = vec![stored(
        "https://cms.example.vn/a.png",
        'a',
        500,
        1000,
        &[320],
        false,
    )];
    for (what, article) in [("body", in_body), ("cover", cover), ("images", carried)] {
        let refused = refuse_unstored_pictures(&article)
            .err()
            .unwrap_or_else(|| panic!("{what}: a picture passed the media stage by"));
        assert_eq!(refused.expected, EventType::Validated, "{what}");
        assert!(
            refused.detail.contains("ntl-1") && refused.detail.contains(VALIDATED_WITHOUT_PICTURES),
            "{what}: {}",
            refused.detail
        );
    }
}
