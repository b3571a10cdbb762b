"""The demo city's community (徽映社区): forum categories, articles, a forum with its moderation
examples, the sensitive-word list, and the shops' article reads.

What a user of the demo should find, by construction:

- about 30 published articles over the last 120 days (display, brand building, shop development,
  and experience articles by shop owners), two scheduled, a draft and two experience articles
  waiting for review; their facts agree with the shipped knowledge base (licences, ordering days,
  delivery, payment) and none names or praises a real cigarette brand;
- about 150 threads over the last 60 days with staff answers (badged 官方), useful answers, likes
  and three pinned topics; the counters (``reply_count``, ``like_count``, ``last_posted_at``,
  ``approved_posts``) agree with the published rows, as the services would have left them;
- a review queue that is not empty: six pending posts (new authors' first posts, a policy
  question, a reply holding a review word, the demo shop owner's own reply) and two replies hidden
  by readers' flags; the demo shop owner has a published thread with replies;
- article reads with structure a recommender can learn: each shop reads mostly its one or two
  topics of interest (drawn by business type), core shops read most, rural shops a little less.

Every text goes through the word list as a post would (a masked word is starred, a review word
sends the post to a moderator, a flag word raises a word flag); a blocked word in the demo's own
text is a programming error. Drawn from ``random.Random`` seeded with the options; the demo's
``now`` is passed in and no timestamp reads the clock, so the same seed gives the same rows.
"""

import datetime
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from accounts.models import Role, User
from community.models import (
    AllowedPhrase,
    Article,
    ArticleRead,
    Flag,
    ForumCategory,
    Member,
    Post,
    PostLike,
    SensitiveWord,
    Thread,
    Visibility,
    WordListRevision,
)
from community.richtext import sanitise
from community.services import hot
from community.services.forum import TRUSTED_AFTER, flagger_weight
from customers.models import MarketType, Shop
from demo import sql
from demo.community.articles_text import (
    ARTICLES,
    DRAFT,
    EXPERIENCES,
    PENDING_EXPERIENCES,
    SCHEDULED,
    ArticleText,
)
from demo.community.forum_text import (
    BODY_ENDINGS,
    DEMO_OWNER_PENDING,
    DEMO_OWNER_THREAD,
    FLAGGED_REPLY,
    GENERIC_REPLIES,
    HIDDEN_REPLIES,
    MASKED_REPLY,
    NEW_AUTHOR_REPLY,
    NEW_AUTHOR_THREADS,
    OWNER_NICKNAMES,
    PINNED,
    PLACE_WORDS,
    POLICY_PENDING,
    STAFF_NICKNAMES,
    TEMPLATES,
    THANKS,
    TITLE_PREFIXES,
    WORD_REVIEW_REPLY,
    Template,
)
from demo.quality import _demo_owner_shop
from engines.wordfilter import Action, Matcher, WordList

Progress = Callable[[str, int], None]

THREADS = 150
THREAD_DAYS = 60
ARTICLE_DAYS = 120
READS_PER_SHOP = 6.8  # about 20,000 reads for the default 3,000 shops
# Shop owners taking part in the forum: a tenth of the shops, at least 40, at most 400.
PARTICIPANT_SHARE, PARTICIPANTS_MIN, PARTICIPANTS_MAX = 0.1, 40, 400
BATCH = 5000

# code, name, description, every post reviewed
CATEGORIES = (
    ("business", "经营交流", "进货、库存、收银和日常经营的经验与问题", False),
    ("display", "陈列展示", "柜台陈列、价签和店面标识怎么做更规范、更好找", False),
    ("brand", "品牌培育", "新品介绍、规格知识和公司组织的合规品牌活动", False),
    ("policy", "政策咨询", "许可证和专卖政策问题，每帖审核，由工作人员解答", True),
    ("terminal", "终端建设", "扫码收银、订货平台、示范店和店面升级", False),
    ("newcomer", "新手店主", "刚开店的店主提问，老店主和客户经理来答", False),
)
CATEGORY_WEIGHTS = {
    "business": 34,
    "display": 18,
    "brand": 10,
    "policy": 14,
    "terminal": 13,
    "newcomer": 11,
}

# The company's list: word, action, note.
WORDS = (
    ("走私烟", Action.BLOCK, "非法货源"),
    ("假烟批发", Action.BLOCK, "非法货源"),
    ("代购香烟", Action.BLOCK, "网上或私下卖烟"),
    ("微信转账收烟", Action.BLOCK, "私下交易"),
    ("代购", Action.REVIEW, "可能是私下卖烟，请看上下文"),
    ("加微信", Action.REVIEW, "引导私下联系"),
    ("便宜出烟", Action.REVIEW, "可能是来路不明的货"),
    ("傻逼", Action.MASK, "辱骂"),
    ("脑残", Action.MASK, "辱骂"),
    ("投诉", Action.FLAG, "请服务中心跟进"),
)
ALLOWED = (
    ("打击走私烟", "宣传打击走私的正常说法"),
    ("举报走私烟", "提醒店主举报的正常说法"),
)


# -- Articles --------------------------------------------------------------------------------


# Reading interests: topic weights by business type (a shop draws one or two topics from them).
INTERESTS = {
    "convenience": {"display": 3, "terminal": 3, "brand": 1, "experience": 1},
    "supermarket": {"display": 3, "terminal": 2, "brand": 1, "experience": 1},
    "tobacco_liquor": {"brand": 4, "display": 2, "terminal": 1, "experience": 1},
    "grocery": {"display": 2, "experience": 2, "terminal": 1, "brand": 1},
    "kiosk": {"display": 2, "terminal": 2, "experience": 1, "brand": 1},
    "catering": {"experience": 2, "display": 1, "terminal": 1, "brand": 1},
    "entertainment": {"experience": 2, "brand": 1, "display": 1, "terminal": 1},
    "other": {"display": 1, "terminal": 1, "brand": 1, "experience": 1},
}
ENGAGEMENT = {"core": 2.6, "key": 1.7, "potential": 1.1, "ordinary": 0.7}
NEVER_READS = {"core": 0.05, "key": 0.1, "potential": 0.2, "ordinary": 0.35}
TWO_INTERESTS = {"core": 0.7, "key": 0.6, "potential": 0.4, "ordinary": 0.3}


# -- The plan in memory -----------------------------------------------------------------------


@dataclass
class _Post:
    author: int
    staff: bool
    body: str
    at: datetime.datetime
    opening: bool = False
    force: str = ""  # "pending", "hidden": a moderation example
    visibility: str = Visibility.PUBLISHED
    held_for: str = ""
    matched: list[str] = field(default_factory=list)
    word_flag: bool = False
    review_word: bool = False
    useful: bool = False
    template_answer: bool = False
    moderated_by: int | None = None
    moderated_at: datetime.datetime | None = None
    likes: list[tuple[int, datetime.datetime]] = field(default_factory=list)
    flags: list[tuple[int, str, datetime.datetime]] = field(default_factory=list)
    quote: "_Post | None" = None
    row: Post | None = None


@dataclass
class _Thread:
    category: str
    title: str
    author: int
    at: datetime.datetime
    posts: list[_Post]
    pinned: bool = False
    interest: float = 1.0
    row: Thread | None = None


@dataclass(frozen=True)
class _Owner:
    user_id: int
    shop_id: int
    surname: str
    place: str
    business_type: str
    joined: datetime.datetime


class _Cast:
    """Who posts: shop owners (weighted, a few very active) and staff by role."""

    def __init__(self, rng: random.Random, owners: list[_Owner], staff: list[User]) -> None:
        self.rng = rng
        self.owners = owners
        self.weights = [1 / (rank + 3) for rank in range(len(owners))]
        self.staff = staff
        self.role = {u.pk: u.role for u in staff}
        self.by_role: dict[str, list[User]] = {}
        for user in staff:
            self.by_role.setdefault(user.role, []).append(user)

    def owner(self, before: datetime.datetime, exclude: set[int] = frozenset()) -> int | None:
        for _attempt in range(12):
            owner = self.rng.choices(self.owners, weights=self.weights)[0]
            if owner.user_id not in exclude and owner.joined < before:
                return owner.user_id
        return None

    def answerer(self, category: str) -> int:
        roles = (
            (Role.SERVICE_MANAGER, Role.ACCOUNT_MANAGER)
            if category == "policy"
            else (Role.ACCOUNT_MANAGER, Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF)
        )
        pool = [u for role in roles for u in self.by_role.get(role, [])]
        return self.rng.choice(pool or self.staff).pk


# -- Build ------------------------------------------------------------------------------------


def build(*, seed: int, now: datetime.datetime, progress: Progress | None = None) -> dict:
    """Write the demo's community; returns the rows per kind (nothing when it exists already)."""
    if ForumCategory.objects.exists():
        return {}
    counts: dict[str, int] = {}

    def stage(name: str, count: int) -> None:
        counts[name] = count
        if progress:
            progress(name, count)

    rng = random.Random(f"{seed}:community")
    staff = list(
        User.objects.filter(is_active=True)
        .exclude(role=Role.SHOP_OWNER)
        .order_by("pk")
        .only("pk", "role", "full_name", "username")
    )
    shops = list(
        Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__isnull=False)
        .select_related("owner_account", "grid__district")
        .order_by("pk")
    )
    demo_shop = _demo_owner_shop(shops)
    editor = _first(staff, Role.SERVICE_MANAGER) or _first(staff, Role.ADMIN)
    moderators = [u.pk for u in staff if u.role == Role.SERVICE_MANAGER] or (
        [editor.pk] if editor else []
    )
    with transaction.atomic():
        matcher, added = _word_list(now, _first(staff, Role.ADMIN))
        stage("community sensitive words", added)
        categories = _categories()
        stage("community categories", len(categories))
        if editor is None:
            return counts
        articles = _articles(rng, now, editor, shops, demo_shop, matcher)
        reads = _reads(random.Random(f"{seed}:community-reads"), articles, shops, now)
        sql.insert_objects(Article, articles)
        stage("community articles", len(articles))
        stage("community article reads", _insert_reads(articles, reads))
        threads = _forum(rng, now, staff, shops, demo_shop, matcher, moderators)
        for name, count in _write_forum(rng, threads, categories, staff, shops, now).items():
            stage(name, count)
        sql.reset_sequences(
            [Article, ArticleRead, Member, PostLike, Flag, SensitiveWord, WordListRevision]
        )
        hot.refresh(now=now)
    return counts


def reset() -> dict[str, int]:
    """Delete the community's content and members (they protect the users and shops
    ``city.reset`` deletes); the word list stays, like the other apps' rules."""
    steps = (
        ("article reads", ArticleRead.objects.all()),
        ("articles", Article.objects.all()),
        ("post likes", PostLike.objects.all()),
        ("post flags", Flag.objects.all()),
        ("posts", Post.objects.all()),
        ("threads", Thread.objects.all()),
        ("forum members", Member.objects.all()),
        ("forum categories", ForumCategory.objects.all()),
    )
    with transaction.atomic():
        Post.objects.filter(quote__isnull=False).update(quote=None)  # a quote protects its post
        return sql.delete_in_order(steps)


def _first(staff: list[User], role: str) -> User | None:
    return next((u for u in staff if u.role == role), None)


def _insert_reads(articles: list[Article], reads: list[tuple[int, int, int, int]]) -> int:
    """The reads as tuples (a model instance per read would take most of the time)."""
    adapt = connection.ops.adapt_datetimefield_value
    first = sql.next_id(ArticleRead)
    rows = (
        (first + n, articles[index].pk, user_id, shop_id, adapt(_moment(second)))
        for n, (index, user_id, shop_id, second) in enumerate(reads)
    )
    return sql.insert(ArticleRead, ("id", "article_id", "user_id", "shop_id", "read_at"), rows)


def _moment(second: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(second, tz=datetime.UTC)


def _word_list(now: datetime.datetime, admin: User | None) -> tuple[Matcher, int]:
    """The company's list, imported once (missing words only; a list edited since is kept)."""
    imported = now - datetime.timedelta(days=ARTICLE_DAYS + 1)
    have = set(SensitiveWord.objects.values_list("word", flat=True))
    words = [
        SensitiveWord(word=w, action=a.value, note=n, updated_at=imported)
        for w, a, n in WORDS
        if w not in have
    ]
    have_phrases = set(AllowedPhrase.objects.values_list("phrase", flat=True))
    phrases = [AllowedPhrase(phrase=p, note=n) for p, n in ALLOWED if p not in have_phrases]
    sql.insert_objects(SensitiveWord, words)
    AllowedPhrase.objects.bulk_create(phrases)
    if words or phrases:
        revision = WordListRevision(
            source=WordListRevision.Source.IMPORT,
            actor_id=admin.pk if admin else None,
            changes={
                "added": [w.word for w in words],
                "changed": [],
                "allowed_added": [p.phrase for p in phrases],
            },
            created_at=imported,
        )
        sql.insert_objects(WordListRevision, [revision])
    entries = SensitiveWord.objects.values_list("word", "action")
    allowed = AllowedPhrase.objects.values_list("phrase", flat=True)
    return WordList.compile([(w, Action(a)) for w, a in entries], allow=list(allowed)), len(words)


def _categories() -> dict[str, ForumCategory]:
    rows = [
        ForumCategory(code=code, name=name, description=text, review_required=review, position=i)
        for i, (code, name, text, review) in enumerate(CATEGORIES, start=1)
    ]
    return {c.code: c for c in ForumCategory.objects.bulk_create(rows)}


def _checked(matcher: Matcher, text: str) -> tuple[str, list[str], bool, bool]:
    """As ``wordlist.check`` does it: (text to store, matched words, needs review, flag)."""
    verdict = matcher.verdict(text)
    if verdict.blocked_words:
        raise ValueError(f"demo text holds blocked words {verdict.blocked_words}: {text}")
    actions = {hit.action for hit in verdict.hits}
    stored = matcher.mask(text) if Action.MASK in actions else text
    matched = list(dict.fromkeys(hit.word for hit in verdict.hits))
    return stored, matched, Action.REVIEW in actions, Action.FLAG in actions


def _at(day: datetime.datetime, rng: random.Random, low: float = 8.5, high: float = 17.5):
    """A moment on ``day``'s date between ``low`` and ``high`` o'clock."""
    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return start + datetime.timedelta(minutes=round(rng.uniform(low, high) * 60))


def _articles(rng, now, editor, shops, demo_shop, matcher) -> list[Article]:
    """Published articles spread over the last 120 days, experience articles by shops, two
    scheduled, one draft and two waiting for review."""
    day = datetime.timedelta(days=1)
    writers = [s for s in shops if s is not demo_shop]

    def writer(business_type: str, before: datetime.datetime) -> Shop | None:
        """A shop of that type (or any) that had been on the platform a week by then."""
        known = [s for s in writers if s.created_at < before - 7 * day]
        alike = [s for s in known if s.business_type == business_type]
        return rng.choice(alike or known) if known else None

    published: list[tuple[ArticleText, str | None]] = [(t, None) for t in ARTICLES]
    published += [(text, business_type) for business_type, text in EXPERIENCES]
    order = list(range(len(published)))
    rng.shuffle(order)
    rows = []
    span = ARTICLE_DAYS - 2
    for slot, index in enumerate(order):
        text, business_type = published[index]
        days_ago = ARTICLE_DAYS - 1 - slot * span / max(len(order) - 1, 1) + rng.uniform(-1, 1)
        publish_at = _at(now - max(days_ago, 1.0) * day, rng, 9, 10.5)
        shop = writer(business_type, publish_at) if business_type else None
        if business_type and shop is None:
            continue  # no shop was there yet to write it
        row = _article(text, matcher, editor, shop, Article.Status.PUBLISHED, publish_at)
        row.created_at = publish_at - datetime.timedelta(hours=rng.uniform(2, 72))
        if shop is not None:
            row.reviewed_by_id, row.reviewed_at = editor.pk, publish_at
        rows.append(row)
    for days, text in zip((3, 10), SCHEDULED, strict=True):
        publish_at = _at(now + days * day, rng, 9, 9)
        row = _article(text, matcher, editor, None, Article.Status.PUBLISHED, publish_at)
        row.created_at = now - rng.uniform(1, 4) * day
        rows.append(row)
    draft = _article(DRAFT, matcher, editor, None, Article.Status.DRAFT, None)
    draft.created_at = now - 6 * day
    rows.append(draft)
    for hours, text in zip((50, 5), PENDING_EXPERIENCES, strict=True):
        created_at = now - datetime.timedelta(hours=hours + rng.uniform(0, 3))
        shop = writer("", created_at)
        if shop is None:
            continue
        row = _article(text, matcher, editor, shop, Article.Status.PENDING, None)
        row.created_at = created_at
        rows.append(row)
    for row in rows:
        row.updated_at = max(row.created_at, row.publish_at or row.created_at)
        if row.updated_at > now:
            row.updated_at = row.created_at
    return rows


def _article(text, matcher, editor, shop, status, publish_at) -> Article:
    body = sanitise(text.body)
    for part in (text.title, text.summary, body):
        _checked(matcher, part)  # a blocked word is a mistake in the demo's text
    return Article(
        topic=text.topic,
        title=text.title,
        summary=text.summary,
        body=body,
        brands=[],
        business_types=list(text.business_types),
        segments=list(text.segments),
        author_id=shop.owner_account_id if shop else editor.pk,
        author_shop_id=shop.pk if shop else None,
        status=status,
        publish_at=publish_at,
        read_count=0,
    )


def _reads(rng, articles, shops, now) -> list[tuple[int, int, int, int]]:
    """First reads of live articles by shop owners, as (index into ``articles``, user id, shop
    id, POSIX second): mostly of the reader's one or two topics and of articles tagged for its
    business type and class; core shops read most. Times are plain seconds here: this loop runs
    once per shop and article (1.6 million times for 50,000 shops)."""
    end = now.timestamp()
    live = [
        (index, a.topic, set(a.business_types), set(a.segments), a.publish_at.timestamp())
        for index, a in enumerate(articles)
        if a.status == Article.Status.PUBLISHED and a.publish_at and a.publish_at < now
    ]
    if not live or not shops:
        return []
    month = 30 * 86400.0
    pairs: list[tuple[Shop, int, float, float]] = []  # shop, article index, weight, first moment
    for shop in shops:
        segment = shop.segment or "ordinary"
        if rng.random() < NEVER_READS.get(segment, 0.3):
            continue
        weights = INTERESTS.get(shop.business_type, INTERESTS["other"])
        topics = list(weights)
        first = rng.choices(topics, weights=[weights[t] for t in topics])[0]
        interests = {first}
        if rng.random() < TWO_INTERESTS.get(segment, 0.3):
            rest = [t for t in topics if t != first]
            interests.add(rng.choices(rest, weights=[weights[t] for t in rest])[0])
        engagement = ENGAGEMENT.get(segment, 0.7) * rng.lognormvariate(0, 0.4)
        if shop.market_type == MarketType.RURAL:
            engagement *= 0.8
        joined = shop.created_at.timestamp()
        for index, topic, business_types, segments, published in live:
            start = published if published > joined else joined
            if start >= end:
                continue
            weight = engagement * (4.0 if topic in interests else 1.0)
            if shop.business_type in business_types:
                weight *= 1.8
            if segment in segments:
                weight *= 1.5
            weight *= 0.5 + 0.5 * min(1.0, (end - start) / month)
            pairs.append((shop, index, weight, start))
    target = READS_PER_SHOP * len(shops)
    scale = target / (sum(p[2] for p in pairs) or 1.0)
    for _round in range(3):  # probabilities are capped: raise the scale for what the cap cut
        expected = sum(min(0.9, p[2] * scale) for p in pairs)
        scale *= target / (expected or 1.0)
    reads = []
    mean_delay = 5 * 86400.0
    for shop, index, weight, start in pairs:
        if rng.random() >= min(0.9, weight * scale):
            continue
        start += 300  # five minutes to open it, at the least
        span = end - start
        if span <= 0:
            continue
        delay = rng.expovariate(1 / mean_delay)
        if delay >= span:
            delay = span * rng.random()
        reads.append((index, shop.owner_account_id, shop.pk, int(start + delay)))
    per_article = Counter(index for index, _, _, _ in reads)
    for index, article in enumerate(articles):
        article.read_count = per_article.get(index, 0)
    return reads


def _seconds(value: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=int(value))


def _place(shop: Shop) -> str:
    name = shop.grid.district.name
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def _forum(rng, now, staff, shops, demo_shop, matcher, moderators) -> list[_Thread]:
    """The threads and their posts in memory, with moderation decided as the services would."""
    day = datetime.timedelta(days=1)
    since = now - THREAD_DAYS * day
    owners = [
        _Owner(
            s.owner_account_id,
            s.pk,
            s.owner_name[:1] or "王",
            _place(s),
            s.business_type,
            s.created_at,
        )
        for s in shops
        if s is not demo_shop
    ]
    settled = [o for o in owners if o.joined < since]
    newcomers = sorted(
        (o for o in owners if o.joined < now - 3 * day), key=lambda o: o.joined, reverse=True
    )
    # The newest shops are the new authors of the examples; the forum regulars come from the rest.
    examples = newcomers[: len(NEW_AUTHOR_THREADS) + 1]
    taken = {o.user_id for o in examples}
    pool = [o for o in settled if o.user_id not in taken] or [
        o for o in owners if o.user_id not in taken
    ]
    size = min(
        len(pool),
        max(PARTICIPANTS_MIN, min(PARTICIPANTS_MAX, round(PARTICIPANT_SHARE * len(owners)))),
    )
    participants = rng.sample(pool, size) if pool else []
    cast = _Cast(rng, participants, [u for u in staff if u.role != Role.DISPATCHER] or staff)
    threads: list[_Thread] = []
    if not cast.staff:
        return threads
    manager = _first(staff, Role.SERVICE_MANAGER) or cast.staff[0]

    for (category, title, body, replies), days_ago in zip(PINNED, (52, 41, 19), strict=True):
        at = _at(now - days_ago * day, rng, 9, 10)
        thread = _Thread(category, title, manager.pk, at, [_Post(manager.pk, True, body, at, True)])
        thread.pinned, thread.interest = True, 3.0
        for staff_reply, text in replies:
            at += datetime.timedelta(hours=rng.uniform(2, 30))
            author = cast.answerer(category) if staff_reply else cast.owner(at)
            if author is not None:
                thread.posts.append(_Post(author, bool(staff_reply), text, at))
        threads.append(thread)

    decks: dict[str, list[Template]] = {}
    categories = list(CATEGORY_WEIGHTS)
    for _n in range(THREADS - len(PINNED)):
        category = rng.choices(categories, weights=[CATEGORY_WEIGHTS[c] for c in categories])[0]
        deck = decks.get(category)
        if not deck:
            deck = [t for t in TEMPLATES if t.category == category]
            rng.shuffle(deck)
            decks[category] = deck
        template = deck.pop()
        at = now - THREAD_DAYS * day * rng.random() ** 0.85
        at = _at(at, rng, 7.5, 22.5)
        if at > now - datetime.timedelta(hours=1):
            at -= day
        author = cast.owner(at)
        if author is None:
            continue
        threads.append(_thread(rng, template, author, at, cast, now))

    if demo_shop is not None:
        threads.append(_demo_owner_thread(rng, demo_shop, cast, now))
    _examples(rng, threads, examples, cast, now)
    _moderate(rng, threads, matcher, moderators, now)
    _likes_and_useful(rng, threads, cast, now)
    return threads


def _title(rng: random.Random, template: Template) -> str:
    title = rng.choice(template.titles)
    if rng.random() < 0.15:
        title = rng.choice(TITLE_PREFIXES) + title
    return title


def _thread(rng, template: Template, author: int, at, cast: _Cast, now) -> _Thread:
    body = rng.choice(template.bodies)
    if rng.random() < 0.3:
        body += rng.choice(BODY_ENDINGS)
    thread = _Thread(template.category, _title(rng, template), author, at, [])
    thread.posts.append(_Post(author, False, body, at, opening=True))
    thread.interest = rng.lognormvariate(0, 0.6)
    policy = template.category == "policy"
    if policy:
        wanted = rng.choice((1, 1, 2, 2, 3))
    elif rng.random() < 0.07:
        wanted = 0
    else:
        wanted = min(15, 1 + int(rng.expovariate(1 / 4.5) * min(thread.interest, 2.0)))
    staff_answers = list(template.staff)
    peer_answers = list(template.peers)
    rng.shuffle(peer_answers)
    generic = list(GENERIC_REPLIES)
    rng.shuffle(generic)
    posted_by = {author}
    staff_first = policy or rng.random() < 0.5
    for number in range(wanted):
        gap = rng.expovariate(1 / (3 * 3600 if number == 0 else 6 * 3600))
        at = at + _seconds(max(gap, 120))
        if at >= now - datetime.timedelta(minutes=10):
            break
        if (number == 0 and staff_first and staff_answers) or (
            policy and staff_answers and rng.random() < 0.5
        ):
            text = staff_answers.pop(0)
            post = _Post(cast.answerer(template.category), True, text, at, template_answer=True)
        elif number > 0 and rng.random() < 0.12 and thread.posts[-1].author != author:
            post = _Post(author, False, rng.choice(THANKS), at)
        elif policy:
            continue  # policy questions are answered by staff; peers add little there
        else:
            replier = cast.owner(at, exclude={author})
            if replier is None:
                continue
            if peer_answers:
                post = _Post(replier, False, peer_answers.pop(), at, template_answer=True)
            elif generic:
                post = _Post(replier, False, generic.pop(), at)
            else:
                break
        if len(thread.posts) > 2 and not post.staff and rng.random() < 0.1:
            post.quote = rng.choice(thread.posts[1:])
        posted_by.add(post.author)
        thread.posts.append(post)
    return thread


def _demo_owner_thread(rng, shop: Shop, cast: _Cast, now) -> _Thread:
    """The demo owner's own question: published, answered, and one reply of theirs pending."""
    category, title, body, replies = DEMO_OWNER_THREAD
    owner = shop.owner_account_id
    at = _at(now - datetime.timedelta(days=9), rng, 20, 21)
    thread = _Thread(category, title, owner, at, [_Post(owner, False, body, at, opening=True)])
    thread.interest = 1.5
    for staff_reply, text in replies:
        at += datetime.timedelta(hours=rng.uniform(1, 20))
        if staff_reply is None:
            author = owner
        elif staff_reply:
            manager = shop.account_manager_id
            author = manager if manager in cast.role else cast.answerer(category)
        else:
            author = cast.owner(at, exclude={owner})
        if author is not None:
            thread.posts.append(_Post(author, bool(staff_reply), text, at))
    pending_at = now - datetime.timedelta(hours=rng.uniform(3, 8))
    thread.posts.append(_Post(owner, False, DEMO_OWNER_PENDING, pending_at, force="pending"))
    return thread


def _examples(rng, threads: list[_Thread], newcomers: list[_Owner], cast: _Cast, now) -> None:
    """The review queue's examples: new authors' first posts, a policy question, a reply with a
    review word; two replies hidden by flags; a masked and a flagged reply."""
    hour = datetime.timedelta(hours=1)
    for (category, title, body), owner in zip(NEW_AUTHOR_THREADS, newcomers, strict=False):
        at = now - rng.uniform(4, 40) * hour
        post = _Post(owner.user_id, False, body, at, opening=True, force="pending")
        threads.append(_Thread(category, title, owner.user_id, at, [post]))
    open_threads = [
        t
        for t in threads
        if not t.pinned
        and len(t.posts) >= 3
        and t.category != "policy"
        and not any(p.force for p in t.posts)
    ]
    open_threads.sort(key=lambda t: t.posts[-1].at)
    recent = [t for t in open_threads if t.posts[-1].at < now - 2 * hour][-12:]
    if len(newcomers) > len(NEW_AUTHOR_THREADS) and recent:
        thread = recent[-1]
        at = max(thread.posts[-1].at + hour, now - 20 * hour)
        newcomer = newcomers[len(NEW_AUTHOR_THREADS)].user_id
        thread.posts.append(_Post(newcomer, False, NEW_AUTHOR_REPLY, at, force="pending"))
    at = now - rng.uniform(5, 30) * hour
    author = cast.owner(at)
    if author is not None:
        category, title, body = POLICY_PENDING
        post = _Post(author, False, body, at, opening=True, force="pending")
        threads.append(_Thread(category, title, author, at, [post]))
    examples = [(WORD_REVIEW_REPLY, "pending")] + [(t, "hidden") for t, _ in HIDDEN_REPLIES]
    examples += [(MASKED_REPLY, ""), (FLAGGED_REPLY, "")]
    picks = rng.sample(recent, min(len(recent), len(examples)))
    for thread, (text, force) in zip(picks, examples, strict=False):
        at = max(thread.posts[-1].at + hour, now - rng.uniform(10, 30) * hour)
        author = cast.owner(at, exclude={thread.author})
        if author is None:
            continue
        post = _Post(author, False, text, at, force=force)
        if force == "hidden":
            reason = dict(HIDDEN_REPLIES)[text]
            flaggers = set()
            for _k in range(3):
                flagger = cast.owner(at, exclude={author, *flaggers})
                if flagger is not None:
                    flaggers.add(flagger)
                    post.flags.append((flagger, reason, at + rng.uniform(0.3, 3) * hour))
        thread.posts.append(post)


def _moderate(rng, threads: list[_Thread], matcher, moderators: list[int], now) -> None:
    """Decide each post as ``forum.thread_create`` / ``reply_create`` would, in time order: held
    for the category, a review word or a new author; held posts before now were approved."""
    approved: Counter[int] = Counter()
    review = {code for code, _, _, needs in CATEGORIES if needs}
    posts = [(t, p) for t in threads for p in t.posts]
    posts.sort(key=lambda tp: tp[1].at)
    # Nobody can reply to a thread before its opening post is approved.
    first_reply = {
        id(t): min((p.at for p in t.posts if not p.opening), default=now) for t in threads
    }
    for thread, post in posts:
        texts = [post.body] + ([thread.title] if post.opening else [])
        checked = [_checked(matcher, text) for text in texts]
        post.body = checked[0][0]
        if post.opening:
            thread.title = checked[1][0]
        post.matched = list(dict.fromkeys(w for c in checked for w in c[1]))
        post.review_word = any(c[2] for c in checked)
        post.word_flag = any(c[3] for c in checked)
        if thread.category in review:
            post.held_for = Post.HeldFor.CATEGORY
        elif post.review_word:
            post.held_for = Post.HeldFor.WORD
        elif not post.staff and approved[post.author] < TRUSTED_AFTER:
            post.held_for = Post.HeldFor.NEW_AUTHOR
        if post.force == "pending":
            if not post.held_for:
                raise ValueError(f"a pending example would have been published: {post.body}")
            post.visibility = Visibility.PENDING
            continue
        if post.force == "hidden":
            post.visibility, post.held_for = Visibility.HIDDEN, Post.HeldFor.FLAGS
            approved[post.author] += 1  # it was published before readers' flags hid it
            continue
        if post.held_for:
            others = [m for m in moderators if m != post.author] or moderators
            if others:
                post.moderated_by = rng.choice(others)
            minute = datetime.timedelta(minutes=1)
            latest = first_reply[id(thread)] if post.opening else now
            approved_at = post.at + datetime.timedelta(minutes=rng.uniform(10, 240))
            post.moderated_at = max(post.at, min(approved_at, latest - minute))
        approved[post.author] += 1


def _likes_and_useful(rng, threads: list[_Thread], cast: _Cast, now) -> None:
    hour = 3600.0
    for thread in threads:
        published = [p for p in thread.posts if p.visibility == Visibility.PUBLISHED]
        if not published or not published[0].opening:
            continue
        answers = [p for p in published[1:] if p.template_answer and p.author != thread.author]
        if answers and rng.random() < 0.45:
            staff_answers = [p for p in answers if p.staff]
            rng.choice(staff_answers or answers).useful = True
        for post in published:
            mean = 2.0 if post.opening else (1.8 if post.template_answer else 0.4)
            mean *= thread.interest * (2.5 if post.useful else 1.0)
            wanted = min(40, int(rng.expovariate(1 / mean))) if mean > 0 else 0
            likers: set[int] = set()
            for _k in range(wanted):
                at = post.at + _seconds(60 + rng.expovariate(1 / (20 * hour)))
                if at >= now:
                    continue
                if rng.random() < 0.15:
                    liker = rng.choice(cast.staff).pk
                else:
                    liker = cast.owner(at, exclude={post.author})
                if liker is None or liker == post.author or liker in likers:
                    continue
                likers.add(liker)
                post.likes.append((liker, at))


def _write_forum(rng, threads, categories, staff, shops, now) -> dict[str, int]:
    """Rows for the plan: members first (their approved posts counted from it), then threads,
    posts, likes and flags, every counter agreeing with the published rows."""
    threads.sort(key=lambda t: (t.at, t.title))
    owners = {s.owner_account_id: s for s in shops}
    staff_by_id = {u.pk: u for u in staff}
    first_seen: dict[int, datetime.datetime] = {}
    approved: Counter[int] = Counter()

    def seen(user_id: int, at: datetime.datetime) -> None:
        if user_id not in first_seen or at < first_seen[user_id]:
            first_seen[user_id] = at

    for thread in threads:
        for post in thread.posts:
            seen(post.author, post.at)
            if post.visibility in (Visibility.PUBLISHED, Visibility.HIDDEN):
                approved[post.author] += 1
            for liker, at in post.likes:
                seen(liker, at)
            for flagger, _reason, at in post.flags:
                seen(flagger, at)
    members = []
    taken: set[str] = set()
    for user_id in sorted(first_seen):
        if user_id in staff_by_id:
            nickname = _staff_nickname(rng, staff_by_id[user_id], taken)
        elif user_id in owners:
            nickname = _owner_nickname(rng, owners[user_id], taken)
        else:
            continue
        taken.add(nickname)
        members.append(
            Member(
                user_id=user_id,
                nickname=nickname,
                approved_posts=approved[user_id],
                created_at=first_seen[user_id],
            )
        )
    sql.insert_objects(Member, members)

    thread_rows = []
    for thread in threads:
        opening = thread.posts[0]
        published = [p for p in thread.posts if p.visibility == Visibility.PUBLISHED]
        thread.row = Thread(
            category=categories[thread.category],
            title=thread.title,
            author_id=thread.author,
            visibility=opening.visibility,
            pinned=thread.pinned and opening.visibility == Visibility.PUBLISHED,
            reply_count=sum(1 for p in published if not p.opening),
            like_count=sum(len(p.likes) for p in published),
            created_at=thread.at,
            last_posted_at=max((p.at for p in published), default=thread.at),
        )
        thread_rows.append(thread.row)
    Thread.objects.bulk_create(thread_rows, batch_size=BATCH)
    post_rows = []
    for thread in threads:
        for post in sorted(thread.posts, key=lambda p: p.at):
            post.row = Post(
                thread=thread.row,
                author_id=post.author,
                by_staff=post.staff,
                is_opening=post.opening,
                body=post.body,
                visibility=post.visibility,
                held_for=post.held_for,
                matched_words=post.matched,
                is_useful=post.useful,
                like_count=len(post.likes),
                created_at=post.at,
                moderated_by_id=post.moderated_by,
                moderated_at=post.moderated_at,
            )
            post_rows.append(post.row)
    Post.objects.bulk_create(post_rows, batch_size=BATCH)
    quoted = []
    for thread in threads:
        for post in thread.posts:
            quote = post.quote
            if quote and quote.visibility == Visibility.PUBLISHED and quote.at < post.at:
                post.row.quote_id = quote.row.pk
                quoted.append(post.row)
    Post.objects.bulk_update(quoted, ["quote"], batch_size=BATCH)
    likes = [
        PostLike(post_id=post.row.pk, user_id=liker, created_at=at)
        for thread in threads
        for post in thread.posts
        for liker, at in post.likes
    ]
    sql.insert_objects(PostLike, likes)
    weight = flagger_weight(0, 0)  # every flagger here is a first-time flagger
    flags = []
    for thread in threads:
        for post in thread.posts:
            for flagger, reason, at in post.flags:
                flags.append(
                    Flag(post_id=post.row.pk, flagger_id=flagger, reason=reason, weight=weight,
                         created_at=at)
                )  # fmt: skip
            if post.word_flag:
                flags.append(
                    Flag(post_id=post.row.pk, flagger_id=None, reason=Flag.Reason.WORD,
                         weight=0.0, created_at=post.at)
                )  # fmt: skip
    sql.insert_objects(Flag, flags)
    return {
        "community members": len(members),
        "community threads": len(thread_rows),
        "community posts": len(post_rows),
        "community likes": len(likes),
        "community flags": len(flags),
    }


def _nickname(rng: random.Random, patterns: Sequence[str], values: dict, taken: set[str]) -> str:
    for _attempt in range(12):
        name = rng.choice(patterns).format(**values)[:20]
        if name not in taken:
            return name
    stem = rng.choice(patterns).format(**values)[:17]
    while True:
        name = f"{stem}{rng.randint(2, 999)}"
        if name not in taken:
            return name


def _staff_nickname(rng, user: User, taken: set[str]) -> str:
    values = {"s": (user.full_name or user.username)[:1]}
    return _nickname(rng, STAFF_NICKNAMES.get(user.role, ("员工{s}",)), values, taken)


def _owner_nickname(rng, shop: Shop, taken: set[str]) -> str:
    values = {
        "s": shop.owner_name[:1] or "王",
        "place": _place(shop),
        "word": rng.choice(PLACE_WORDS.get(shop.business_type, ("小店",))),
    }
    return _nickname(rng, OWNER_NICKNAMES, values, taken)
