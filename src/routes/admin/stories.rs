//! Per-story controls (how a story takes comments, the prompt above its
//! form) and the Questions queue of stories in Q&A mode.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};

use super::{FormFields, flash, nav, take_flash};
use crate::actions;
use crate::actions::moderation::AnswerRefusal;
use crate::error::AppError;
use crate::models::Article;
use crate::models::article::{CommentMode, MAX_PROMPT_CHARS};
use crate::models::questions;
use crate::routes::{render_with_status, see_other};
use crate::security::identity::Staff;
use crate::state::{AppState, now};
use crate::views::admin::{CommentRow, QuestionsPage, StoryPage};

/// Questions listed at once, oldest first.
const QUESTIONS_SHOWN: i64 = 50;

fn hint(mode: CommentMode) -> &'static str {
    match mode {
        CommentMode::Open => "Readers' comments appear at once (the site's holds still apply).",
        CommentMode::Premoderated => "Every reader's comment waits in the Held queue until a moderator approves it.",
        CommentMode::Questions => {
            "Readers ask the newsroom questions; they wait in the Questions queue, and each shows on the story with its answer."
        }
    }
}

async fn story_page(
    state: &AppState,
    staff: &Staff,
    article: &Article,
    chosen: CommentMode,
    prompt: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let path = format!("/admin/articles/{}/discussion", article.slug);
    let chrome = state.page_chrome(&staff.viewer, "Discussion settings", "", &path, "").await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with_status(
        status,
        &StoryPage {
            chrome,
            nav: nav(staff, "articles"),
            slug: article.slug.clone(),
            headline: article.headline.clone(),
            modes: CommentMode::ALL.iter().map(|m| (m.as_str(), m.label(), hint(*m), *m == chosen)).collect(),
            prompt,
            max_prompt: MAX_PROMPT_CHARS,
            error,
            csrf: staff.viewer.csrf_token(),
            flash: take_flash(&staff.viewer.session),
        },
    )
}

async fn story(state: &AppState, slug: String) -> Result<Article, AppError> {
    state.db.run(move |conn| Article::by_slug_any(conn, &slug)?.ok_or(AppError::NotFound)).await
}

#[get("/articles/{slug}/discussion")]
pub async fn story_form(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let article = story(&state, slug.into_inner()).await?;
    let (mode, prompt) = (article.comment_mode, article.comment_prompt.clone());
    story_page(&state, &staff, &article, mode, prompt, None).await
}

#[post("/articles/{slug}/discussion")]
pub async fn save_story(
    state: web::Data<AppState>,
    staff: Staff,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let article = story(&state, slug.into_inner()).await?;
    let fields = FormFields::parse(&body);
    // One line of text: line breaks become spaces.
    let prompt = fields.get("prompt").unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    let Some(mode) = fields.get("mode").and_then(CommentMode::parse) else {
        let error = Some("Choose how the story takes comments.".into());
        return story_page(&state, &staff, &article, article.comment_mode, prompt, error).await;
    };
    if prompt.chars().count() > MAX_PROMPT_CHARS {
        let error = Some(format!("The prompt is too long: {MAX_PROMPT_CHARS} characters at most."));
        return story_page(&state, &staff, &article, mode, prompt, error).await;
    }
    let headline = actions::moderation::set_story_controls(&state, &staff.user, &article.slug, mode, prompt).await?;
    flash(&staff.viewer.session, format!("Discussion settings saved for “{headline}”: {}.", mode.label()));
    Ok(see_other("/admin/articles"))
}

async fn questions_page(
    state: &AppState,
    staff: &Staff,
    refused: Option<(i32, String, String)>,
) -> Result<HttpResponse, AppError> {
    let waiting = state.db.run(|conn| Ok(questions::waiting(conn, QUESTIONS_SHOWN)?)).await?;
    let chrome = state.page_chrome(&staff.viewer, "Questions", "", "/admin/questions", "").await?;
    let now = now();
    let status = if refused.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with_status(
        status,
        &QuestionsPage {
            chrome,
            nav: nav(staff, "questions"),
            rows: waiting.iter().map(|item| CommentRow::new(item, now)).collect(),
            refused,
            csrf: staff.viewer.csrf_token(),
            flash: take_flash(&staff.viewer.session),
        },
    )
}

#[get("/questions")]
pub async fn questions_queue(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, AppError> {
    questions_page(&state, &staff, None).await
}

#[post("/questions/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id: i32 = id.parse().map_err(|_| AppError::NotFound)?;
    let fields = FormFields::parse(&body);
    let text = fields.get("body").unwrap_or_default().to_string();
    match actions::moderation::answer_question(&state, &staff.user, id, &text).await? {
        Ok(location) => {
            flash(
                &staff.viewer.session,
                format!("Answered: the question and your answer are on the story ({location})."),
            );
        }
        Err(AnswerRefusal::Unreadable(why)) => {
            return questions_page(&state, &staff, Some((id, why.to_string(), text))).await;
        }
        Err(AnswerRefusal::NotWaiting) => {
            flash(
                &staff.viewer.session,
                "That question was answered, deleted or removed meanwhile; nothing was posted.",
            );
        }
    }
    Ok(see_other("/admin/questions"))
}
