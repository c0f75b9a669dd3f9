//! The home page and article pages (with their discussion).

use actix_web::http::StatusCode;
use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use super::{page_number, render, render_with_status};
use crate::error::AppError;
use crate::models::article::CommentMode;
use crate::models::discussion::{self, Discussion, Sort};
use crate::models::mute::Mute;
use crate::models::questions;
use crate::models::respect::Respect;
use crate::models::settings::SiteSettings;
use crate::models::{Article, ArticleCard, Author, Comment, Tag, User};
use crate::reader_pages;
use crate::security::identity::Viewer;
use crate::security::session_data::SessionData;
use crate::state::{AppState, now};
use crate::views::discovery::{ArticleFacts, FeedLink, SocialMeta, breadcrumbs, news_article, rfc3339, script_json};
use crate::views::discussion::{CommentForm, CommentView, DiscussionView, ReaderLayer, threads};
use crate::views::pages::{
    ArticlePage, ArticleView, CorrectionView, DiscussedView, FigureView, HomePage, SectionBlock, TagView,
};
use crate::views::{AuthorView, CardView, Moment, Pager};

/// Stories under the lead; the next ones go to the "Latest" list.
const SECONDARY_STORIES: usize = 4;
const LATEST_STORIES: i64 = 15;
const STORIES_PER_SECTION_BLOCK: i32 = 4;
/// "Most discussed" counts the comments of the past week (whole days).
const DISCUSSED_WINDOW_DAYS: i32 = 7;
const DISCUSSED_STORIES: i64 = 5;

#[get("/")]
pub async fn home(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, AppError> {
    let now = now();
    let (latest, per_section, discussed) = state
        .db
        .run(move |conn| {
            let latest = ArticleCard::latest(conn, now, LATEST_STORIES)?;
            let per_section = ArticleCard::latest_per_section(conn, now, STORIES_PER_SECTION_BLOCK)?;
            let discussed = discussion::most_discussed(conn, DISCUSSED_WINDOW_DAYS, now, DISCUSSED_STORIES)?;
            Ok((latest, per_section, discussed))
        })
        .await?;
    let nav = state.nav().await?;
    let mut cards = CardView::list(&latest, now).into_iter();
    let lead = cards.next();
    let secondary: Vec<CardView> = cards.by_ref().take(SECONDARY_STORIES).collect();
    let latest: Vec<CardView> = cards.collect();
    // Section blocks follow the navigation order.
    let sections = nav
        .iter()
        .map(|item| SectionBlock {
            name: item.name.clone(),
            url: item.url.clone(),
            cards: per_section.iter().filter(|c| c.section_slug == item.slug).map(|c| CardView::new(c, now)).collect(),
        })
        .filter(|block| !block.cards.is_empty())
        .collect();
    let chrome = state.chrome(nav, Some(&viewer), "", "The latest news, analysis and discussion.", "/", "/");
    let most_discussed = discussed.iter().map(DiscussedView::new).collect();
    render(&HomePage { chrome, lead, secondary, latest, most_discussed, sections })
}

#[derive(Deserialize, Default, Clone)]
pub struct ArticleQuery {
    pub page: Option<String>,
    pub sort: Option<String>,
}

/// The article page; `form` replaces the empty comment form when a
/// comment came back with a problem, and `status` says what kind.
pub async fn article_page(
    state: &AppState,
    viewer: &Viewer,
    slug: String,
    query: ArticleQuery,
    form: Option<CommentForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (page, _) = article_view(state, viewer, slug, query, form, &Audience::Viewer).await?;
    render_with_status(status, &page)
}

/// Whom an article page is built for.
pub enum Audience<'a> {
    /// The viewer: the whole page is theirs.
    Viewer,
    /// The shared copy logged-in readers' pages are assembled from
    /// (`reader_pages`): the comments as `user` may act on them, and the
    /// account links and comment form between `marker`s, with no token,
    /// name or draft in them (each reader's own go there).
    Shared { user: &'a User, marker: &'a str },
}

/// What the shared copy of an article page was built from.
pub struct SharedFacts {
    pub article_id: i32,
    /// Where the comment form posts (none when the discussion is closed).
    pub form_action: Option<String>,
    /// Readers with a comment on this page (whose own links differ).
    pub commenters: HashSet<i32>,
    /// Readers with a comment held for review in this discussion (which
    /// only they see).
    pub held_authors: HashSet<i32>,
    /// Readers who marked a comment here "Respect" (whose buttons differ).
    pub respecters: HashSet<i32>,
}

pub async fn article_view(
    state: &AppState,
    viewer: &Viewer,
    slug: String,
    query: ArticleQuery,
    form: Option<CommentForm>,
    audience: &Audience<'_>,
) -> Result<(ArticlePage, SharedFacts), AppError> {
    let now = now();
    let sort = Sort::parse(query.sort.as_deref());
    let page = page_number(query.page.as_deref())?;
    let (acting, shared) = match audience {
        Audience::Viewer => (viewer.user.as_ref(), None),
        Audience::Shared { user, marker } => (Some(*user), Some(*marker)),
    };
    // The shared copy holds no one's held comments: their authors get a page of their own.
    let is_shared = shared.is_some();
    let viewer_id = if is_shared { None } else { viewer.user_id() };
    let acting_id = acting.map(|user| user.id);
    // Only readers who muted someone have a list to look up.
    let mutes_of = acting.filter(|user| user.muted_count > 0).map(|user| user.id);
    let (article, section, authors, tags, discussion, settings, (held_authors, layer, respecters, answered)) = state
        .db
        .run(move |conn| {
            let (article, section, figures) = Article::published_with_figures(conn, &slug, now)??;
            let settings = SiteSettings::load(conn)?;
            let authors = Author::byline_of(conn, article.id)?;
            let tags = Tag::for_article(conn, article.id)?;
            let discussion =
                Discussion::page(conn, article.id, figures, viewer_id, sort, page)?.ok_or(AppError::NotFound)?;
            let held_authors = if is_shared { Comment::held_authors(conn, article.id)? } else { HashSet::new() };
            let layer = ReaderLayer {
                respected: match acting_id {
                    Some(user) => Respect::given_on(conn, user, article.id)?,
                    None => HashSet::new(),
                },
                muted: match mutes_of {
                    Some(user) => Mute::ids_of(conn, user)?,
                    None => HashSet::new(),
                },
            };
            let respecters = if is_shared { Respect::givers_on(conn, article.id)? } else { HashSet::new() };
            let answered = match article.comment_mode {
                CommentMode::Questions => questions::answered_on(conn, article.id)?,
                _ => Vec::new(),
            };
            Ok((article, section, authors, tags, discussion, settings, (held_authors, layer, respecters, answered)))
        })
        .await?;
    let path = format!("/articles/{}", article.slug);
    let mut chrome = state.page_chrome(viewer, &article.headline, &article.dek, &path, &section.slug).await?;
    if let Some(marker) = shared {
        chrome.viewer = None;
        chrome.csrf = String::new();
        chrome.splice = marker.to_string();
    }
    chrome.feeds.push(FeedLink {
        title: format!("Comments on “{}” (Atom)", article.headline),
        url: format!("{path}/comments.atom"),
        mime: "application/atom+xml",
    });
    let image = article.image_url.as_deref().map(|url| state.absolute(url));
    let facts = ArticleFacts {
        url: &chrome.canonical,
        headline: &article.headline,
        description: &article.dek,
        image: image.as_deref(),
        published: article.published_at,
        // A correction moves it too: search engines and feed readers learn
        // the story changed.
        modified: article.modified_at(),
        authors: &authors,
        section_name: &section.name,
        section_url: &state.absolute(&format!("/sections/{}", section.slug)),
        comment_count: discussion.total,
        base_url: &state.config.base_url,
        site_name: &state.config.site_name,
        logo: &state.absolute(&state.assets.url("favicon.svg")),
    };
    chrome.social = SocialMeta {
        og_type: "article",
        title: article.headline.clone(),
        description: article.dek.clone(),
        image: image.clone(),
        published: Some(rfc3339(article.published_at)),
        modified: article.updated_at.max(article.corrected_at).map(rfc3339),
        section: Some(section.name.clone()),
        tags: tags.iter().map(|t| t.name.clone()).collect(),
        json_ld: vec![script_json(&news_article(&facts)), script_json(&breadcrumbs(&facts))],
    };
    let open = settings.accepts_comments(article.comments_open, article.published_at, now);
    let questions_mode = article.comment_mode == CommentMode::Questions;
    let sort_base = match sort {
        Sort::Oldest => path.clone(),
        other => format!("{path}?sort={}", other.as_str()),
    };
    let form_action = format!("{path}/comments");
    let form = match (form, acting) {
        (Some(form), _) => Some(form),
        (None, Some(_)) if open && shared.is_some() => {
            Some(CommentForm { action: form_action.clone(), ..CommentForm::default() })
        }
        (None, Some(_)) if open => Some(CommentForm {
            action: form_action.clone(),
            body: SessionData(&viewer.session).draft(article.id).unwrap_or_default(),
            csrf: viewer.csrf_token(),
            ..CommentForm::default()
        }),
        _ => None,
    };
    let facts = SharedFacts {
        article_id: article.id,
        form_action: form.as_ref().map(|_| form_action),
        // Picks may come from other pages of the discussion: their authors'
        // links and mutes of them show here too.
        commenters: discussion
            .top_level
            .iter()
            .chain(&discussion.replies)
            .chain(&discussion.featured)
            .chain(&discussion.reader_picks)
            .map(|e| e.comment.user_id)
            .collect(),
        held_authors,
        respecters,
    };
    // Editors' and readers' picks: shown whole above the threads, answered there.
    let pick = |entry| CommentView::new(entry, acting, false, now).with_layer(&layer);
    let discussion = DiscussionView {
        total: discussion.total,
        featured: discussion.featured.iter().map(pick).collect(),
        reader_picks: discussion.reader_picks.iter().map(pick).collect(),
        // In a Q&A, readers ask and the newsroom answers from its queue:
        // nobody replies in the thread.
        threads: threads(&discussion, acting, &layer, open && !questions_mode, now),
        prompt: article.comment_prompt.clone(),
        questions: questions_mode,
        answered: answered.iter().map(|a| (pick(&a.question), pick(&a.answer))).collect(),
        pager: match sort {
            Sort::Oldest => Pager::linked(discussion.page, discussion.total_pages, &sort_base, "#comments")
                .labelled("Earlier comments", "Later comments"),
            Sort::Newest => Pager::linked(discussion.page, discussion.total_pages, &sort_base, "#comments")
                .labelled("Newer comments", "Older comments"),
            Sort::Respected => Pager::linked(discussion.page, discussion.total_pages, &sort_base, "#comments")
                .labelled("More respected", "Less respected"),
        },
        sort,
        sort_oldest_url: format!("{path}#comments"),
        sort_newest_url: format!("{path}?sort=newest#comments"),
        sort_respected_url: format!("{path}?sort=respected#comments"),
        open,
        form,
        login_url: chrome.login_url.clone() + "%23comments",
        signup_url: format!(
            "/signup?next={}",
            url::form_urlencoded::byte_serialize(format!("{path}#comments").as_bytes()).collect::<String>()
        ),
        csrf: if shared.is_some() { String::new() } else { viewer.existing_csrf_token() },
    };
    let modified = article.modified_at();
    let view = ArticleView {
        headline: article.headline,
        dek: article.dek,
        section_url: format!("/sections/{}", section.slug),
        section_name: section.name,
        authors: authors.iter().map(AuthorView::from_author).collect(),
        published: Moment::new(article.published_at, now),
        updated: Some(modified).filter(|u| *u > article.published_at).map(|u| Moment::new(u, now)),
        correction: article
            .correction
            .zip(article.corrected_at)
            .map(|(text, at)| CorrectionView { text, at: Moment::new(at, now) }),
        figure: article.image_url.map(|url| FigureView {
            url,
            alt: article.image_alt,
            caption: article.image_caption,
            credit: article.image_credit,
        }),
        body_html: article.body_html,
        tags: tags.into_iter().map(|t| TagView { url: format!("/tags/{}", t.slug), name: t.name }).collect(),
        comments_open: open,
    };
    Ok((ArticlePage { chrome, article: view, discussion }, facts))
}

#[get("/articles/{slug}")]
pub async fn show_article(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    query: web::Query<ArticleQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    // Logged-in readers: the shared copy with their own parts set in.
    if let Some(user) = &viewer.user
        && let Some(page) = reader_pages::answer(&state, &viewer, user, &request, &slug, &query).await?
    {
        return Ok(page);
    }
    article_page(&state, &viewer, slug.into_inner(), query.into_inner(), None, StatusCode::OK).await
}
