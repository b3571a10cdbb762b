"""Weeks of self-service Q&A history for the demo city: conversations, the engine's decisions,
feedback, hand-overs, and the open questions the curation page groups.

Shops that use the chat ask one to three questions per conversation: mostly the knowledge base's
own phrasings with small changes (a greeting, a particle, a synonym), some questions about their
own orders and payments (live answers), and questions on topics the knowledge base does not
cover (``OUT_OF_KB``, written for the demo in recurring themes, so the curation page has real
clusters). Every FAQ question goes through a lexical ``QAEngine`` over the live entries, so the
decisions are the engine's own. The chat's hand-over requests already exist in the service-request
history (channel ``chat``); each gets the conversation that led to it.

Over the weeks fewer questions fall outside the knowledge base and phrasings drift less from it:
the answered share rises. Questions older than ``CURATED_AFTER_WEEKS`` were mostly curated already.
Nothing here reads the held-out evaluation queries; ``OUT_OF_KB`` was written for the demo.
"""

import datetime
import random
from collections import Counter
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from customers.models import Shop
from demo import sql
from engines.qa import Entry as EngineEntry
from engines.qa import QAEngine
from knowledge import chat_selectors
from knowledge.models import Conversation, Entry, Turn
from servicedesk.models import Channel, ServiceRequest

DEFAULT_WEEKS = 12
NOW = datetime.time(11, 0)  # the demo's "now" on ``until``, as for orders and requests
CHATTING_SHARE = 0.35  # of the shops with a log-in
CONVERSATIONS_PER_SHOP_WEEK = (0.25, 0.36)  # first week → last week: the chat catches on
TURNS_PER_CONVERSATION = ((1, 0.62), (2, 0.28), (3, 0.10))
LIVE_SHARE = 0.14
OUT_OF_KB_SHARE = (0.24, 0.07)  # first week → last week
DRIFT_SHARE = (0.6, 0.2)  # phrasings changed beyond a greeting or a particle
RATED_SHARE = 0.30
CURATED_AFTER_WEEKS = 6
SUGGESTIONS = 3

GREETINGS = ("",) * 7 + ("请问", "你好，", "麻烦问一下，", "师傅，", "问下")
ENDINGS = ("",) * 6 + ("？", "？", "啊", "呀", "？谢谢")
# Small changes of wording a shop owner makes; each keeps the meaning.
SWAPS = (
    ("怎么", "咋"),
    ("怎么", "如何"),
    ("什么", "啥"),
    ("吗", "不"),
    ("可以", "能"),
    ("能", "可以"),
    ("卷烟", "烟"),
    ("订货", "订烟"),
    ("许可证", "烟草证"),
    ("App", "app"),
    ("时候", "时间"),
)

# Topics the knowledge base does not cover, in recurring themes (written for the demo).
OUT_OF_KB: dict[str, tuple[str, ...]] = {
    "opening_subsidy": (
        "新店开业有没有陈列补贴",
        "新店开业有补贴吗",
        "新店开业有没有补贴",
        "新店开业补贴怎么申请",
        "新店开业能申请什么补贴",
    ),
    "lighters": (
        "店里能卖打火机吗",
        "店里可以卖打火机吗",
        "店里卖打火机要办证吗",
        "店里能不能卖打火机和烟具",
    ),
    "theft": (
        "店里的烟被偷了怎么办",
        "店里的烟被偷了能报损吗",
        "店里的烟被偷了要报警吗",
        "烟被偷了怎么办",
    ),
    "digital_yuan": (
        "能用数字人民币收款吗",
        "顾客用数字人民币付款可以吗",
        "数字人民币收款怎么开通",
        "怎么开通数字人民币收款码",
    ),
    "loans": (
        "零售户能申请烟商贷吗",
        "烟商贷怎么申请",
        "零售户怎么申请烟商贷",
        "零售户贷款要什么条件",
    ),
    "parcels": (
        "烟可以寄快递吗",
        "能帮顾客寄快递烟吗",
        "烟能不能寄快递到外地",
        "寄烟的快递会不会被查",
    ),
    "shop_sign": (
        "门头招牌可以统一制作吗",
        "门头招牌有没有补贴",
        "门头招牌坏了谁来修",
        "换门头招牌要报备吗",
    ),
    "bulk_buyers": (
        "顾客一次买二十条烟能卖吗",
        "顾客一次要买很多条烟能卖吗",
        "一次卖很多条烟要登记吗",
        "婚宴要几十条烟能一次卖吗",
    ),
    "imported": (
        "能卖进口烟吗",
        "进口烟可以订吗",
        "进口烟在哪里订",
        "店里能不能卖进口烟",
    ),
    "night_sales": (
        "晚上十点以后还能卖烟吗",
        "晚上几点以后不能卖烟",
        "夜里能卖烟吗",
    ),
}
# Some themes come up more often than others: the curation page's biggest clusters.
THEME_WEIGHTS = {
    "opening_subsidy": 5,
    "theft": 4,
    "digital_yuan": 4,
    "imported": 3,
    "lighters": 3,
    "parcels": 2,
    "loans": 2,
    "bulk_buyers": 2,
    "shop_sign": 1,
    "night_sales": 1,
}

# Questions about the shop's own records: (intent, ways to ask, reply).
LIVE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "order_status",
        ("我的订单到哪了", "这周的订单发货了吗", "订单现在什么状态", "我订的烟送出来没有"),
        "您本周的订单已出库，预计今天下午送达。",
    ),
    (
        "delivery_eta",
        ("今天的货几点到", "送货车大概什么时候到", "今天几点送货"),
        "今天的配送车预计 14:00–16:00 到店，到店前送货员会电话联系您。",
    ),
    (
        "payment_status",
        ("这周货款扣了没有", "扣款成功了吗", "这次扣了多少钱"),
        "本周货款已于今天上午从签约银行卡扣款成功。",
    ),
    (
        "order_history",
        ("我上周订了多少条", "上次订货订了什么", "最近几次的订单"),
        "这是您最近的订单，点开可以看每一单的品规和数量。",
    ),
)

HANDOVER_REPLY = "这个问题我还答不上来。需要的话，可以转给客服人员处理。"
OFF_TOPIC_REPLY = (
    "抱歉，这个问题不在我能回答的范围内：我只解答订货、配送、扣款、许可证、陈列与促销方面的问题。"
    "其他问题请点击“转人工”，由客户经理为您解答。"
)


def _mix(start: float, end: float, progress: float) -> float:
    return start + (end - start) * progress


def _pick(rng: random.Random, weighted: tuple[tuple[int, float], ...]) -> int:
    roll, total = rng.random(), 0.0
    for value, share in weighted:
        total += share
        if roll < total:
            return value
    return weighted[-1][0]


class _Chat:
    def __init__(self, *, seed: int, until: datetime.date, weeks: int) -> None:
        self.rng = random.Random(f"{seed}:knowledge")
        self.weeks = weeks
        self.tz = timezone.get_default_timezone()
        self.now = datetime.datetime.combine(until, NOW, tzinfo=self.tz)
        self.first_day = until - datetime.timedelta(weeks=weeks)
        # The entries live on ``until``, in the order knowledge.index reads them (ties rank alike).
        self.entries = [
            entry
            for entry in Entry.objects.filter(status=Entry.Status.PUBLISHED).only(
                "pk", "question", "phrasings", "category", "answer", "tags", "status",
                "valid_from", "valid_until",
            )
            if entry.is_live_on(until)
        ]  # fmt: skip
        self.entry_by_pk = {e.pk: e for e in self.entries}
        # Lexical on purpose: the same decisions code as the site, built in about a second.
        self.engine = QAEngine(
            [EngineEntry(str(e.pk), e.question, list(e.phrasings)) for e in self.entries],
            domain_words=sorted({t for e in self.entries for t in e.tags if 2 <= len(t) <= 8}),
            dense="off",
        )
        self.themes = list(THEME_WEIGHTS)
        self.theme_weights = [THEME_WEIGHTS[t] for t in self.themes]
        self.conversations: list[Conversation] = []
        self.turns: list[Turn] = []
        self.next_conversation = (
            Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1
        self.next_turn = (
            Turn.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ) + 1

    # --- What shops ask ----------------------------------------------------------------------

    def _vary(self, text: str, drift: float) -> str:
        rng = self.rng
        text = text.rstrip("？?")
        if rng.random() < drift:
            options = [(a, b) for a, b in SWAPS if a in text and a != b]
            if options:
                a, b = rng.choice(options)
                text = text.replace(a, b, 1)
        ending = rng.choice(ENDINGS)
        if text.endswith(("吗", "呢")) and ending in ("啊", "呀"):
            ending = "？"  # "…吗啊" is not how anyone types
        return rng.choice(GREETINGS) + text + ending

    def _faq_question(self, progress: float) -> tuple[str, Entry | None]:
        """A question and the entry it was drawn from (None: outside the knowledge base)."""
        rng = self.rng
        if rng.random() < _mix(*OUT_OF_KB_SHARE, progress):
            theme = rng.choices(self.themes, self.theme_weights)[0]
            return self._vary(rng.choice(OUT_OF_KB[theme]), 0.3), None
        entry = rng.choice(self.entries)
        phrasing = rng.choice([entry.question, *entry.phrasings])
        return self._vary(phrasing, _mix(*DRIFT_SHARE, progress)), entry

    # --- One conversation --------------------------------------------------------------------

    def _conversation(
        self, shop_id: int, user_id: int | None, started: datetime.datetime, **extra
    ) -> Conversation:
        conversation = Conversation(
            pk=self.next_conversation, shop_id=shop_id, user_id=user_id, started_at=started, **extra
        )
        self.next_conversation += 1
        self.conversations.append(conversation)
        return conversation

    def _turn(self, conversation: Conversation, asked: datetime.datetime, **fields) -> Turn:
        turn = Turn(
            pk=self.next_turn,
            conversation_id=conversation.pk,
            shop_id=conversation.shop_id,
            asked_at=asked,
            **fields,
        )
        self.next_turn += 1
        self.turns.append(turn)
        return turn

    def _faq_turn(
        self,
        conversation: Conversation,
        asked: datetime.datetime,
        question: str,
        source: Entry | None,
        *,
        curated: bool,
    ) -> Turn:
        """What ``knowledge.services.chat.ask`` would keep, then the shop's pick or rating."""
        rng = self.rng
        result = self.engine.search(question, k=SUGGESTIONS + 1)
        hits = [self.entry_by_pk[int(h.entry_id)] for h in result.hits]
        off_topic = result.reason == Turn.Reason.OFF_TOPIC
        decision = result.decision if hits and not off_topic else Turn.Decision.HANDOVER
        if decision == Turn.Decision.CLARIFY and len(hits) < 2:
            decision = Turn.Decision.SUGGEST
        fields = {
            "question": question[:300],
            "decision": decision,
            "confidence": round(result.confidence, 4),
            "engine_mode": self.engine.mode,
        }
        picked = None
        if off_topic:  # chat.ask: a polite decline with 转人工, nothing for curation
            fields |= {"reason": Turn.Reason.OFF_TOPIC, "reply": OFF_TOPIC_REPLY}
            return self._turn(conversation, asked, kind=Turn.Kind.FAQ, **fields)
        if decision == Turn.Decision.ANSWER:
            fields |= {
                "entry_id": hits[0].pk,
                "category": hits[0].category,
                "reply": hits[0].answer,
                "suggestions": [h.pk for h in hits[1:SUGGESTIONS]],
            }
            if rng.random() < RATED_SHARE:
                right = source is not None and source.pk == hits[0].pk
                helpful = rng.random() < (0.9 if right else 0.25)
                fields |= {
                    "feedback": Turn.Feedback.HELPFUL if helpful else Turn.Feedback.NOT_HELPFUL,
                    "feedback_at": asked + datetime.timedelta(seconds=rng.randint(20, 240)),
                }
        elif decision in (Turn.Decision.SUGGEST, Turn.Decision.CLARIFY):
            offered = hits[: 2 if decision == Turn.Decision.CLARIFY else SUGGESTIONS]
            if decision == Turn.Decision.CLARIFY:
                first, second = chat_selectors.topic_labels(offered)
                reply = f"您问的是「{first}」还是「{second}」？"
            else:
                reply = "您是不是想问：\n" + "\n".join(f"· {h.question}" for h in offered)
            fields |= {
                "category": offered[0].category,
                "suggestions": [h.pk for h in offered],
                "reply": reply,
            }
            wanted = source is not None and source in offered
            if (wanted and rng.random() < 0.65) or (not wanted and rng.random() < 0.08):
                picked = source if wanted else offered[0]  # the nearest-looking one
                fields["picked_entry_id"] = picked.pk
        else:
            fields["reply"] = HANDOVER_REPLY
        open_ = decision != Turn.Decision.ANSWER or fields.get("feedback") == "not_helpful"
        fields["curation"] = self._curation(fields, curated) if open_ else Turn.Curation.NONE
        turn = self._turn(conversation, asked, kind=Turn.Kind.FAQ, **fields)
        if picked is not None:  # chat.pick_suggestion: the chosen entry answered as a new turn
            self._turn(
                conversation,
                asked + datetime.timedelta(seconds=rng.randint(5, 40)),
                kind=Turn.Kind.FAQ,
                question=picked.question,
                decision=Turn.Decision.ANSWER,
                confidence=1.0,
                entry_id=picked.pk,
                category=picked.category,
                reply=picked.answer,
                engine_mode="picked",
            )
        return turn

    def _curation(self, fields: dict, curated: bool) -> str:
        """Open, unless the knowledge managers handled it already (older questions mostly)."""
        if not curated or self.rng.random() < 0.2:
            return Turn.Curation.OPEN
        if fields.get("picked_entry_id") or self.rng.random() < 0.3:
            return Turn.Curation.ADDED
        return Turn.Curation.DISMISSED

    def _live_turn(self, conversation: Conversation, asked: datetime.datetime) -> Turn:
        rng = self.rng
        intent, questions, reply = rng.choice(LIVE)
        fields: dict = {"curation": Turn.Curation.NONE}
        if rng.random() < RATED_SHARE:
            helpful = rng.random() < 0.92
            fields = {
                "feedback": Turn.Feedback.HELPFUL if helpful else Turn.Feedback.NOT_HELPFUL,
                "feedback_at": asked + datetime.timedelta(seconds=rng.randint(20, 240)),
                # chat.rate opens every not-helpful answer for curation
                "curation": Turn.Curation.NONE if helpful else Turn.Curation.OPEN,
            }
        return self._turn(
            conversation,
            asked,
            kind=Turn.Kind.LIVE,
            question=self._vary(rng.choice(questions), 0.0),
            decision=Turn.Decision.ANSWER,
            confidence=1.0,
            intent=intent,
            reply=reply,
            engine_mode="live",
            **fields,
        )

    def _moment(self, week: int) -> datetime.datetime:
        """A time in week ``week`` (0 = the first) when shops chat: busier early in the week."""
        rng = self.rng
        day = rng.choices(range(7), (1.5, 1.25, 1.1, 1.0, 1.0, 0.7, 0.55))[0]
        hour = rng.choices(range(7, 23), (1, 3, 4, 4, 3, 2, 2, 3, 3, 2, 2, 2, 3, 3, 2, 1))[0]
        date = self.first_day + datetime.timedelta(weeks=week, days=day)
        return datetime.datetime.combine(
            date, datetime.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz
        )

    # --- The whole history -------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        rng = self.rng
        shops = list(
            Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__isnull=False)
            .order_by("pk")
            .values_list("pk", "owner_account_id")
        )
        if not shops or not self.entries:
            return {}
        chatting = [shop for shop in shops if rng.random() < CHATTING_SHARE] or shops[:1]
        # One more week than asked: the morning of ``until`` (the moments after now are skipped).
        for week in range(self.weeks + 1):
            progress = min(1.0, week / max(1, self.weeks - 1))
            curated = week < self.weeks - CURATED_AFTER_WEEKS
            count = round(len(chatting) * _mix(*CONVERSATIONS_PER_SHOP_WEEK, progress))
            for _ in range(count):
                started = self._moment(week)
                if started >= self.now:
                    continue
                shop_id, user_id = rng.choice(chatting)
                conversation = self._conversation(shop_id, user_id, started)
                asked = started
                for _turn in range(_pick(rng, TURNS_PER_CONVERSATION)):
                    if rng.random() < LIVE_SHARE:
                        self._live_turn(conversation, asked)
                    else:
                        question, source = self._faq_question(progress)
                        self._faq_turn(conversation, asked, question, source, curated=curated)
                    asked += datetime.timedelta(seconds=rng.randint(25, 150))
        self._handed_over()
        with transaction.atomic():
            Conversation.objects.bulk_create(self.conversations, batch_size=2000)
            Turn.objects.bulk_create(self.turns, batch_size=2000)
            sql.reset_sequences([Conversation, Turn])
        decisions = Counter(t.decision for t in self.turns if t.kind == Turn.Kind.FAQ)
        return {
            "chat conversations": len(self.conversations),
            "chat questions": len(self.turns),
            "answered": decisions[Turn.Decision.ANSWER],
            "open for curation": sum(t.curation == Turn.Curation.OPEN for t in self.turns),
        }

    def _handed_over(self) -> None:
        """The conversation before each hand-over request of the service-request history."""
        rng = self.rng
        first = datetime.datetime.combine(self.first_day, datetime.time(), tzinfo=self.tz)
        requests = (
            ServiceRequest.objects.filter(
                channel=Channel.CHAT, created_at__gte=first, created_at__lt=self.now
            )
            .order_by("created_at", "pk")
            .values_list("pk", "shop_id", "shop__owner_account_id", "title", "created_at")
        )
        week_s = 7 * 24 * 3600
        for request_id, shop_id, owner_id, title, created in requests:
            started = created - datetime.timedelta(minutes=rng.randint(3, 12))
            progress = min(1.0, (started - first).total_seconds() / (self.weeks * week_s))
            curated = (self.now - started).days >= 7 * CURATED_AFTER_WEEKS
            conversation = self._conversation(
                shop_id, owner_id, started, handover_request_id=request_id
            )
            asked = started
            if rng.random() < 0.3:  # an ordinary question first
                question, source = self._faq_question(progress)
                self._faq_turn(conversation, asked, question, source, curated=curated)
                asked += datetime.timedelta(seconds=rng.randint(25, 120))
            turn = self._faq_turn(
                conversation, asked, self._vary(title, 0.0), None, curated=curated
            )
            if turn.decision == Turn.Decision.ANSWER and not turn.feedback and rng.random() < 0.5:
                # The answer did not settle it: the shop said so, then asked for a person.
                turn.feedback = Turn.Feedback.NOT_HELPFUL
                turn.feedback_at = asked + datetime.timedelta(seconds=rng.randint(20, 90))
            last = self.turns[-1]
            if last.kind == Turn.Kind.FAQ and last.curation == Turn.Curation.NONE:
                # chat.hand_over: the shop still needed a person after this reply
                last.curation = self._curation({}, curated)


def build(
    *,
    seed: int,
    until: datetime.date,
    weeks: int = DEFAULT_WEEKS,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write ``weeks`` weeks of chat history before ``until`` (11:00); rows written per kind.

    Deterministic for the same seed, city and knowledge base; nothing when there are no shops
    with a log-in or no published entries.
    """
    if weeks <= 0:
        return {}
    counts = _Chat(seed=seed, until=until, weeks=weeks).run()
    if progress:
        for name, count in counts.items():
            progress(name, count)
    return counts
