//! Pictures through the whole pipeline against a loopback image server: good ones stored upright, stripped, in every width and both formats; bad ones rejected with a pointer while the good articles around them publish; nothing written twice; a picture removed with the last live article showing it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly at the step that broke"
)]

use gazette_contract::EventType;
use gazette_media::samples::{GPS_MARKER, metadata_blocks, pixel_at};
use serde_json::{Value, json};

use crate::support::pictures::{image_server, with_cover};
use crate::support::{PATIENCE, TestEnv, Worker, cms, needs, wait_for_http};

/// `gazette submit --wait` on each article; its lines, whatever the exit.
fn submit(env: &TestEnv, articles: &[Value]) -> String {
    let mut paths = Vec::new();
    for (n, article) in articles.iter().enumerate() {
        let path = env
            .garage
            .dir
            .path()
            .join(format!("media-{n}-{}.json", rand::random::<u32>()));
        std::fs::write(&path, serde_json::to_vec(article).unwrap()).unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    let mut args = vec!["submit", "--wait"];
    args.extend(paths.iter().map(String::as_str));
    let (_, stdout, stderr) = env.run_gazette(&args);
    format!("{stdout}\n{stderr}")
}

async fn media_objects(store: &gazette_store::Store) -> Vec<String> {
    let mut keys = store.list("media/").await.unwrap();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_are_stored_upright_stripped_and_sized_and_bad_ones_rejected_with_a_pointer() {
    needs!(RabbitMq, Garage);
    let (server, pictures) = image_server().await;
    let url = |name: &str| format!("http://{server}/pictures/{name}");
    let mut env = TestEnv::start("media").await;
    let api = crate::support::free_local_addr();
    env.extra_env.extend([
        (
            "GAZETTE_MEDIA_ALLOW_CIDRS".to_owned(),
            "127.0.0.2/32".to_owned(),
        ),
        (
            "GAZETTE_PUBLIC_URL".to_owned(),
            "https://quan.example.vn/".to_owned(),
        ),
        ("GAZETTE_HTTP_ADDR".to_owned(), api.to_string()),
        ("GAZETTE_RETRY_DELAYS".to_owned(), "200ms,1s".to_owned()),
    ]);
    let mut up = Worker::spawn(&["up"], &env.env(), &env.garage.dir.path().join("up.log"));
    wait_for_http(api, "/readyz", 200).await;

    let good = with_cover(
        "anh-tot",
        "Hội nghị có ảnh",
        &url("exif.jpg"),
        &format!(
            "Đoạn đầu.\n\n![Biểu đồ trong suốt]({})\n\nĐoạn giữa.\n\n<img src=\"{}\" alt=\"Toàn cảnh hội trường\">\n\nĐoạn cuối.",
            url("alpha.png"),
            url("large.jpg")
        ),
    );
    let bad = [
        ("anh-bom", "/cover_image/src", "bomb.png", true),
        ("anh-cut", "/body/content", "truncated.jpg", false),
        ("anh-html", "/cover_image/src", "page.jpg", true),
        ("anh-svg", "/body/content", "script.svg", false),
        (
            "anh-chuyen",
            "/cover_image/src",
            "redirect-to-loopback.jpg",
            true,
        ),
        ("anh-mat", "/body/content", "missing.jpg", false),
    ];
    let mut articles = vec![good.clone()];
    for (id, _, file, as_cover) in &bad {
        articles.push(match as_cover {
            true => with_cover(id, &format!("Bài {id}"), &url(file), "Nội dung."),
            false => {
                let mut a = cms::article(id, 1, &format!("Bài {id}"));
                a["body"] = json!({"format": "html", "content": format!("<p>Nội dung.</p><p><img src=\"{}\" alt=\"ảnh\"></p>", url(file))});
                a
            }
        });
    }
    // One whose picture's server is down at first: retried, then published.
    articles.push(with_cover(
        "anh-tre",
        "Bài có ảnh đến muộn",
        &url("flaky.jpg"),
        "Muộn.",
    ));
    // A good article behind the bad ones, sharing the good one's cover.
    articles.push(with_cover(
        "anh-sau",
        "Bài sau có ảnh chung",
        &url("exif.jpg"),
        "Sau.",
    ));
    let out = submit(&env, &articles);

    assert!(out.contains("published revision 1 of anh-tot"), "{out}");
    assert!(out.contains("published revision 1 of anh-sau"), "{out}");
    assert!(out.contains("published revision 1 of anh-tre"), "{out}");
    assert_eq!(
        pictures.asked.lock().unwrap().get("flaky.jpg"),
        Some(&2),
        "a 503, then the retry"
    );
    for (id, pointer, file, _) in &bad {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("rejected {id}: ")))
            .unwrap_or_else(|| panic!("{id} is not rejected: {out}"));
        assert!(
            line.contains(pointer) && line.contains(&url(file)),
            "{line}"
        );
    }
    let says = |id: &str, words: &str| {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("rejected {id}: ")))
            .unwrap();
        assert!(line.contains(words), "{line}");
    };
    says("anh-bom", "60000×60000");
    says("anh-cut", "cut off");
    says("anh-html", "an HTML page");
    says("anh-svg", "SVG");
    says("anh-chuyen", "127.0.0.1");
    says("anh-mat", "404");

    let store = env.store().await;
    let page = String::from_utf8(
        store
            .get(&format!("{}/hoi-nghi-co-anh.html", cms::CATEGORY))
            .await
            .unwrap()
            .expect("the good article's page"),
    )
    .unwrap();
    let archive = env.archive().await;
    let copy: Value = serde_json::from_slice(
        &archive
            .get("articles/anh-tot/1.json")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let images = copy["images"]
        .as_array()
        .expect("the archived copy lists its pictures");
    assert_eq!(images.len(), 3);
    // (source, upright size, the widths it must have)
    let expected = [
        ("exif.jpg", (1000, 1600), vec![320, 640, 960]),
        ("alpha.png", (800, 600), vec![320, 640]),
        ("large.jpg", (4000, 3000), vec![320, 640, 960, 1280, 1920]),
    ];
    for (file, (width, height), widths) in &expected {
        let image = images.iter().find(|i| i["src"] == url(file)).unwrap();
        assert_eq!(
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(u64::from(*width)), Some(u64::from(*height))),
            "{file}"
        );
        assert_eq!(image["widths"], json!(widths), "{file}");
        let id = image["id"].as_str().unwrap();
        assert!(
            page.contains(&format!(r#"width="{width}" height="{height}""#)),
            "{file} is laid out at its size"
        );
        for w in widths {
            for ext in ["jpg", "webp"] {
                let key = format!("media/{id}/{w}.{ext}");
                let bytes = store
                    .get(&key)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("{key} is missing"));
                let ((got_w, got_h), _) = pixel_at(&bytes, 0, 0).unwrap();
                assert_eq!(got_w, *w, "{key}");
                assert_eq!(got_h, (height * w + width / 2) / width, "{key}");
                assert!(
                    metadata_blocks(&bytes).is_empty(),
                    "{key}: {:?}",
                    metadata_blocks(&bytes)
                );
                assert!(
                    !bytes.windows(GPS_MARKER.len()).any(|x| x == GPS_MARKER),
                    "{key}"
                );
                let head = store.head(&key).await.unwrap().unwrap();
                assert!(
                    head.cache_control.unwrap_or_default().contains("immutable"),
                    "{key}"
                );
            }
            assert!(
                page.contains(&format!("/media/{id}/{w}.webp {w}w")),
                "{file} {w}w in the page's srcset"
            );
        }
    }
    // Upright: the red half of the stored picture is on top.
    let exif = images.iter().find(|i| i["src"] == url("exif.jpg")).unwrap();
    let bytes = store
        .get(&format!("media/{}/320.jpg", exif["id"].as_str().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let (_, top) = pixel_at(&bytes, 160, 40).unwrap();
    let (_, bottom) = pixel_at(&bytes, 160, 470).unwrap();
    assert!(
        top[0] > top[2] + 60 && bottom[2] > bottom[0] + 60,
        "{top:?} {bottom:?}"
    );
    assert!(
        page.contains(r#"fetchpriority="high""#) && page.matches(r#"loading="lazy""#).count() == 2,
        "{page}"
    );
    assert!(page.contains(
        "<figcaption>Hội nghị lần thứ 14. <span class=\"credit\">Ảnh: Thanh Hải</span></figcaption>"
    ));
    assert!(page.contains(r#"<meta property="og:image" content="https://quan.example.vn/media/"#));
    assert!(
        !page.contains(&format!("{server}")),
        "no picture is hotlinked from the CMS"
    );
    let social = exif["social"]["key"].as_str().unwrap();
    let ((w, h), _) = pixel_at(&store.get(social).await.unwrap().unwrap(), 0, 0).unwrap();
    assert_eq!(
        (w, h),
        (1000, 525),
        "the largest 1200:630 window of a 1000-wide picture"
    );

    // A new revision and a redelivery of the same pictures write nothing new.
    let before = media_objects(&store).await;
    let records_in = |list: Vec<String>| -> Vec<String> {
        list.into_iter()
            .filter(|k| !k.starts_with("_gazette/media/originals/"))
            .collect()
    };
    let records = records_in(archive.list("_gazette/media/").await.unwrap()).len();
    assert_eq!(records, 4, "three pictures of anh-tot and anh-tre's");
    let mut again = good.clone();
    again["revision"] = json!(2);
    let out = submit(&env, &[again]);
    assert!(out.contains("updated revision 2 of anh-tot"), "{out}");
    assert_eq!(media_objects(&store).await, before);
    assert_eq!(
        archive.list("_gazette/media/").await.unwrap().len(),
        records * 2,
        "a record and an original per picture, none new"
    );
    let asked = pictures.asked.lock().unwrap().clone();
    assert_eq!(
        asked.get("exif.jpg"),
        Some(&3),
        "fetched once per article revision: {asked:?}"
    );

    // Withdrawals: a picture leaves the site with the last live article showing it.
    let mut unpublished = env.tap(&[EventType::Unpublished.as_str()]).await;
    cms::post(
        &env,
        EventType::Withdrawn,
        &cms::withdrawal("anh-sau", "Gỡ bài"),
    )
    .await;
    let gone = unpublished
        .next(PATIENCE)
        .await
        .unwrap()
        .expect("anh-sau is unpublished");
    assert!(String::from_utf8_lossy(&gone.body).contains("anh-sau"));
    assert_eq!(
        media_objects(&store).await,
        before,
        "anh-tot still shows the shared cover"
    );
    cms::post(
        &env,
        EventType::Withdrawn,
        &cms::withdrawal("anh-tot", "Gỡ bài"),
    )
    .await;
    let gone = unpublished
        .next(PATIENCE)
        .await
        .unwrap()
        .expect("anh-tot is unpublished");
    assert!(String::from_utf8_lossy(&gone.body).contains("anh-tot"));
    // Only anh-tre, still live, keeps its picture.
    let late: Value = serde_json::from_slice(
        &archive
            .get("articles/anh-tre/1.json")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let late_id = late["images"][0]["id"].as_str().unwrap().to_owned();
    let left = media_objects(&store).await;
    assert!(!left.is_empty(), "anh-tre's picture stays");
    assert!(
        left.iter()
            .all(|key| key.starts_with(&format!("media/{late_id}/"))),
        "no live article shows the others: {left:?}"
    );
    assert_eq!(
        records_in(archive.list("_gazette/media/").await.unwrap()),
        [format!("_gazette/media/{late_id}.json")]
    );

    // A rebuild reuses what is stored; under new widths it makes them
    // again from the archived original. Neither fetches anything.
    up.terminate();
    let kept = media_objects(&store).await;
    let (ok, _, stderr) = env.run_gazette(&["rebuild"]);
    assert!(ok, "{stderr}");
    assert_eq!(media_objects(&store).await, kept, "nothing encoded again");
    env.extra_env
        .push(("GAZETTE_MEDIA_WIDTHS".to_owned(), "480".to_owned()));
    let (ok, _, stderr) = env.run_gazette(&["rebuild"]);
    assert!(ok, "{stderr}");
    let page = String::from_utf8(
        store
            .get(&format!("{}/bai-co-anh-den-muon.html", cms::CATEGORY))
            .await
            .unwrap()
            .expect("anh-tre's page"),
    )
    .unwrap();
    let remade: Vec<String> = media_objects(&store)
        .await
        .into_iter()
        .filter(|k| !kept.contains(k))
        .collect();
    assert!(
        remade.iter().any(|k| k.ends_with("/480.webp"))
            && remade.iter().any(|k| k.ends_with("/480.jpg")),
        "{remade:?}"
    );
    assert!(
        page.contains(" 480w") && !page.contains(" 320w"),
        "the page names the new variants"
    );
    assert_eq!(
        pictures.asked.lock().unwrap().get("flaky.jpg"),
        Some(&2),
        "never fetched again"
    );
    env.teardown().await;
}
