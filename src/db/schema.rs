//! Table definitions shared by the SQLite and PostgreSQL backends.
//! Kept by hand (not `diesel print-schema`) so one file serves both.

diesel::table! {
    sections (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Text,
        position -> Integer,
    }
}

diesel::table! {
    authors (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        bio -> Text,
        avatar_url -> Nullable<Text>,
        is_organization -> Bool,
    }
}

diesel::table! {
    media (id) {
        id -> Integer,
        source_path -> Text,
        digest -> Text,
        file_name -> Text,
        content_type -> Text,
        bytes -> Binary,
        created_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> Integer,
        slug -> Text,
        headline -> Text,
        dek -> Text,
        body_markdown -> Text,
        body_html -> Text,
        section_id -> Integer,
        image_url -> Nullable<Text>,
        image_alt -> Text,
        image_caption -> Text,
        image_credit -> Text,
        published_at -> Timestamp,
        updated_at -> Nullable<Timestamp>,
        comments_open -> Bool,
        imported_at -> Timestamp,
        body_text -> Text,
        unpublished_at -> Nullable<Timestamp>,
        correction -> Nullable<Text>,
        corrected_at -> Nullable<Timestamp>,
        comment_mode -> Text,
        comment_prompt -> Text,
    }
}

diesel::table! {
    article_authors (article_id, author_id) {
        article_id -> Integer,
        author_id -> Integer,
        position -> Integer,
        /// The article's, kept equal by triggers (for author pages).
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> Integer,
        tag_id -> Integer,
        /// The article's, kept equal by triggers (for topic pages).
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        username_key -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
        banned_at -> Nullable<Timestamp>,
        banned_until -> Nullable<Timestamp>,
        ban_reason -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
        replies_seen_at -> Nullable<Timestamp>,
        unseen_replies -> Integer,
        muted_count -> Integer,
        premoderated_at -> Nullable<Timestamp>,
        premoderation_reason -> Text,
        email -> Nullable<Text>,
        email_key -> Nullable<Text>,
        email_confirmed_at -> Nullable<Timestamp>,
        notify_replies -> Bool,
        notify_featured -> Bool,
        notify_removed -> Bool,
        notify_digest -> Bool,
        digest_sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<Integer>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        absolute_expires_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        article_id -> Integer,
        user_id -> Integer,
        parent_id -> Nullable<Integer>,
        root_id -> Nullable<Integer>,
        depth -> Integer,
        reply_to_user_id -> Nullable<Integer>,
        body -> Text,
        status -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        moderation_reason -> Nullable<Text>,
        moderated_by -> Nullable<Integer>,
        moderated_at -> Nullable<Timestamp>,
        featured_at -> Nullable<Timestamp>,
        thread_no -> Nullable<Integer>,
        respect_count -> Integer,
        is_question -> Bool,
        answer_id -> Nullable<Integer>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    comment_respects (comment_id, user_id) {
        comment_id -> Integer,
        user_id -> Integer,
        article_id -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Readers a reader muted.
    mutes (user_id, muted_id) {
        user_id -> Integer,
        muted_id -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Figures about each story's discussion, kept by triggers.
    discussions (article_id) {
        article_id -> Integer,
        comments -> Integer,
        threads -> Integer,
        featured -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    /// Comments readers count, per story and day since 1970 (UTC).
    comment_days (article_id, day) {
        article_id -> Integer,
        day -> Integer,
        comments -> Integer,
    }
}

diesel::table! {
    reports (id) {
        id -> Integer,
        comment_id -> Integer,
        reporter_id -> Integer,
        reason -> Text,
        note -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> Integer,
        actor_id -> Nullable<Integer>,
        action -> Text,
        comment_id -> Nullable<Integer>,
        target_user_id -> Nullable<Integer>,
        article_id -> Nullable<Integer>,
        reason -> Text,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    rate_limits (key) {
        key -> Text,
        tat_us -> BigInt,
    }
}

diesel::table! {
    /// Comments brought in by `import-comments`, under their old ids.
    imported_comments (source, external_id) {
        source -> Text,
        external_id -> Text,
        comment_id -> Integer,
    }
}

diesel::table! {
    /// The reader accounts made for imported comments' authors.
    imported_authors (source, key) {
        source -> Text,
        key -> Text,
        user_id -> Integer,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    /// Links sent by mail (confirm an address, reset a password), by hash.
    email_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        purpose -> Text,
        token_hash -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Every message from queued to sent (src/mail/).
    mail_queue (id) {
        id -> Integer,
        user_id -> Nullable<Integer>,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        message_id -> Text,
        kind -> Text,
        unsubscribe_url -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Text,
    }
}

diesel::table! {
    /// Notifications waiting for a reader's daily digest.
    mail_digest_items (id) {
        id -> Integer,
        user_id -> Integer,
        kind -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(articles -> sections (section_id));
diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> authors (author_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_tags -> tags (tag_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(comments -> users (user_id));
diesel::joinable!(reports -> comments (comment_id));
diesel::joinable!(comment_respects -> comments (comment_id));
diesel::joinable!(moderation_log -> articles (article_id));
diesel::joinable!(discussions -> articles (article_id));
diesel::joinable!(comment_days -> articles (article_id));
diesel::joinable!(mail_digest_items -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    sections,
    authors,
    media,
    articles,
    article_authors,
    tags,
    article_tags,
    users,
    sessions,
    comments,
    comment_respects,
    mutes,
    rate_limits,
    reports,
    moderation_log,
    settings,
    discussions,
    comment_days,
    imported_comments,
    imported_authors,
    email_tokens,
    mail_queue,
    mail_digest_items,
);

// "Most discussed" groups comments by article and shows its section.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    articles::id,
    articles::slug,
    articles::headline,
    sections::slug,
    sections::name,
);
