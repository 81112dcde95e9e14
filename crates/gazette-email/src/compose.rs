//! What the two kinds of mail say, in both parts, before any transport is involved.

use gazette_text::escape_html;

/// A mail ready for the transport; `list_unsubscribe` is the one-click link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub list_unsubscribe: Option<String>,
}

/// The article a notification announces.
#[derive(Debug, Clone)]
pub struct ArticleNotice<'a> {
    pub site_name: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub url: &'a str,
    /// As the portal shows it: "23/06/2022 15:04".
    pub published: &'a str,
}

/// "Please confirm": the only mail an unconfirmed address ever receives.
pub fn confirmation(to: &str, site_name: &str, confirm_url: &str) -> Mail {
    let site = one_line(site_name);
    let text = format!(
        "Xin chào,\n\n\
         Ai đó (có thể là bạn) vừa đăng ký nhận tin bài mới của {site} bằng địa chỉ này.\n\
         Để xác nhận, vui lòng mở liên kết sau:\n\n{confirm_url}\n\n\
         Nếu bạn không đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm thư nào.\n"
    );
    let html = page(&format!(
        "<p>Xin chào,</p>\
         <p>Ai đó (có thể là bạn) vừa đăng ký nhận tin bài mới của {site} bằng địa chỉ này.</p>\
         <p><a href=\"{url}\">Xác nhận đăng ký</a></p>\
         <p>Nếu bạn không đăng ký, hãy bỏ qua thư này: bạn sẽ không nhận thêm thư nào.</p>",
        site = escape_html(&site),
        url = escape_html(confirm_url),
    ));
    Mail {
        to: to.to_owned(),
        subject: format!("Xác nhận đăng ký nhận tin – {site}"),
        text,
        html,
        list_unsubscribe: None,
    }
}

/// "A new article": sent once per article to each confirmed address.
pub fn notification(to: &str, article: &ArticleNotice<'_>, unsubscribe_url: &str) -> Mail {
    let site = one_line(article.site_name);
    let title = one_line(article.title);
    let category = one_line(article.category);
    let text = format!(
        "{category} · {published}\n\n{title}\n{url}\n\n\
         --\nBạn nhận thư này vì đã đăng ký nhận tin bài mới của {site}.\n\
         Hủy đăng ký: {unsubscribe_url}\n",
        published = article.published,
        url = article.url,
    );
    let html = page(&format!(
        "<p>{category} · {published}</p>\
         <h1><a href=\"{url}\">{title}</a></h1>\
         <hr><p>Bạn nhận thư này vì đã đăng ký nhận tin bài mới của {site}. \
         <a href=\"{unsubscribe}\">Hủy đăng ký</a></p>",
        category = escape_html(&category),
        published = escape_html(article.published),
        url = escape_html(article.url),
        title = escape_html(&title),
        site = escape_html(&site),
        unsubscribe = escape_html(unsubscribe_url),
    ));
    Mail {
        to: to.to_owned(),
        subject: format!("[{site}] {title}"),
        text,
        html,
        list_unsubscribe: Some(unsubscribe_url.to_owned()),
    }
}

fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"></head><body>{body}</body></html>"
    )
}

/// Line breaks and other control characters become spaces: a subject or a
/// line of text is one line, whatever the title held.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(title: &str) -> Mail {
        let article = ArticleNotice {
            site_name: "Cổng thông tin quận Ninh Kiều",
            title,
            category: "Tin tức - Sự kiện",
            url: "https://ninhkieu.example.vn/tin-tuc/hoi-nghi",
            published: "23/06/2022 15:04",
        };
        notification(
            "dan@example.vn",
            &article,
            "https://ninhkieu.example.vn/unsubscribe?token=abc",
        )
    }

    #[test]
    fn a_notification_names_the_article_in_vietnamese_in_both_parts() {
        let mail = notice("Hội nghị Ban Chấp hành Đảng bộ quận lần thứ 14");
        assert_eq!(
            mail.subject,
            "[Cổng thông tin quận Ninh Kiều] Hội nghị Ban Chấp hành Đảng bộ quận lần thứ 14"
        );
        assert!(
            mail.text
                .contains("Hủy đăng ký: https://ninhkieu.example.vn/unsubscribe?token=abc")
        );
        assert!(
            mail.html
                .contains("<a href=\"https://ninhkieu.example.vn/tin-tuc/hoi-nghi\">Hội nghị")
        );
        assert_eq!(
            mail.list_unsubscribe.as_deref(),
            Some("https://ninhkieu.example.vn/unsubscribe?token=abc")
        );
    }

    #[test]
    fn a_title_cannot_break_out_of_its_line_or_its_markup() {
        let mail = notice("Tin\r\nBcc: victim@example.com <script>");
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        assert!(
            mail.html
                .contains("Tin Bcc: victim@example.com &lt;script&gt;")
        );
    }
}
