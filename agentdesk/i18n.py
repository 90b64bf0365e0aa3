"""The one message catalog: zh-CN (default) and English.

Every user-facing string goes through :func:`t`. Keys are grouped by screen. A test checks
that every key has both languages and that both take the same placeholders.
"""

from __future__ import annotations

LANGS = ("zh", "en")
_lang = "zh"

CATALOG: dict[str, dict[str, str]] = {
    # app shell
    "app.title": {"zh": "坐席工作台", "en": "Agent desk"},
    "app.agent": {"zh": "坐席", "en": "Agent"},
    "app.db": {"zh": "库", "en": "DB"},
    "app.sync": {"zh": "同步", "en": "Sync"},
    "app.sync.none": {"zh": "未配置中心库", "en": "no central store"},
    "app.sync.local": {"zh": "本地", "en": "local"},
    "app.opening": {"zh": "正在打开数据库…", "en": "Opening the database…"},
    "app.ready": {"zh": "就绪", "en": "ready"},
    "app.demo_filled": {
        "zh": "空数据库：已填入演示数据（{customers} 户，{tickets} 张工单）",
        "en": "Empty database: filled with demo data ({customers} customers, {tickets} tickets)",
    },
    "app.store_error": {"zh": "数据库不可用：{error}", "en": "Database unavailable: {error}"},
    "app.readonly": {"zh": "只读", "en": "read-only"},
    "key.lookup": {"zh": "查户", "en": "Lookup"},
    "key.kb": {"zh": "知识库", "en": "Knowledge"},
    "key.ticket": {"zh": "工单", "en": "Ticket"},
    "key.queue": {"zh": "时限队列", "en": "Queue"},
    "key.quit": {"zh": "退出", "en": "Quit"},
    "key.search": {"zh": "搜索", "en": "Search"},
    "key.new_ticket": {"zh": "建单", "en": "New ticket"},
    "cmd.lookup.help": {"zh": "按电话、户号、姓名、地址查找来电客户",
                        "en": "Find the caller by phone, account, name or address"},
    "cmd.kb.help": {"zh": "搜索知识库，照答复口径回答", "en": "Search the knowledge base"},
    "cmd.ticket.help": {"zh": "新建或查看工单", "en": "Create or view a ticket"},
    "cmd.queue.help": {"zh": "我负责的工单及其时限倒计时",
                       "en": "My tickets and their SLA countdowns"},
    # lookup screen
    "lookup.title": {"zh": "查户", "en": "Caller lookup"},
    "lookup.placeholder": {"zh": "电话 / 尾号 / 户号 / 姓名 / 地址",
                           "en": "Phone / last digits / account / name / address"},
    "lookup.col.account": {"zh": "户号", "en": "Account"},
    "lookup.col.name": {"zh": "户名", "en": "Name"},
    "lookup.col.phone": {"zh": "电话", "en": "Phone"},
    "lookup.col.address": {"zh": "地址", "en": "Address"},
    "lookup.col.match": {"zh": "匹配", "en": "Match"},
    "lookup.none": {"zh": "没有找到匹配的客户", "en": "No matching customer"},
    "lookup.hint": {"zh": "输入后自动搜索；↑↓ 选择，回车看客户卡",
                    "en": "Type to search; ↑↓ to choose, Enter for the card"},
    "lookup.count": {"zh": "找到 {n} 户", "en": "{n} found"},
    "match.account": {"zh": "户号", "en": "account"},
    "match.phone": {"zh": "电话", "en": "phone"},
    "match.name": {"zh": "姓名", "en": "name"},
    "match.address": {"zh": "地址", "en": "address"},
    # customer card
    "card.title": {"zh": "客户卡", "en": "Customer card"},
    "card.empty": {"zh": "选择一个客户查看客户卡", "en": "Choose a customer to see the card"},
    "card.account": {"zh": "户号", "en": "Account"},
    "card.utility": {"zh": "类别", "en": "Utility"},
    "card.class": {"zh": "用户分类", "en": "Class"},
    "card.address": {"zh": "地址", "en": "Address"},
    "card.phones": {"zh": "电话", "en": "Phones"},
    "card.meter": {"zh": "表号", "en": "Meter"},
    "card.credit": {"zh": "信用", "en": "Credit list"},
    "card.arrears": {"zh": "欠费", "en": "Arrears"},
    "card.arrears.value": {"zh": "{yuan} 元（{periods} 期）", "en": "¥{yuan} ({periods} periods)"},
    "card.tags": {"zh": "特殊关怀", "en": "Vulnerability"},
    "card.key_level": {"zh": "重要客户", "en": "Key customer"},
    "card.key_level.value": {"zh": "{level} 级", "en": "level {level}"},
    "utility.water": {"zh": "供水", "en": "Water"},
    "utility.power": {"zh": "供电", "en": "Power"},
    "credit.red": {"zh": "红名单", "en": "red list"},
    "credit.grey": {"zh": "灰名单", "en": "grey list"},
    "credit.black": {"zh": "黑名单", "en": "black list"},
    "credit.none": {"zh": "无", "en": "none"},
    # knowledge base, ticket placeholders (their issues build them)
    "kb.title": {"zh": "知识库", "en": "Knowledge base"},
    "kb.pending": {"zh": "知识库检索尚未启用：共 {n} 篇文章已入库。",
                   "en": "Knowledge-base search is not enabled yet: {n} articles stored."},
    "ticket.title": {"zh": "工单", "en": "Ticket"},
    "ticket.pending": {"zh": "工单表单尚未启用。在查户页选择客户后按 F4。",
                       "en": "The ticket form is not enabled yet. Choose a caller on the lookup "
                             "screen, then press F4."},
    "ticket.for": {"zh": "来电客户：{name}（{account}）", "en": "Caller: {name} ({account})"},
    # queue
    "queue.title": {"zh": "时限队列", "en": "SLA queue"},
    "queue.col.number": {"zh": "工单号", "en": "Ticket"},
    "queue.col.caller": {"zh": "来电人", "en": "Caller"},
    "queue.col.category": {"zh": "类别", "en": "Category"},
    "queue.col.priority": {"zh": "优先级", "en": "Priority"},
    "queue.col.status": {"zh": "状态", "en": "Status"},
    "queue.col.due": {"zh": "下一时限", "en": "Next due"},
    "queue.count": {"zh": "我负责的未结工单 {n} 张", "en": "{n} open tickets of mine"},
    "priority.urgent": {"zh": "紧急", "en": "urgent"},
    "priority.important": {"zh": "重要", "en": "important"},
    "priority.general": {"zh": "一般", "en": "general"},
    "status.accepted": {"zh": "受理", "en": "accepted"},
    "status.dispatched": {"zh": "派单", "en": "dispatched"},
    "status.on_site": {"zh": "到场", "en": "on site"},
    "status.resolved": {"zh": "回单", "en": "resolved"},
    "status.called_back": {"zh": "回访", "en": "called back"},
    "status.archived": {"zh": "归档", "en": "archived"},
    # CLI
    "cli.demo.done": {
        "zh": "演示数据：{customers} 户，{phones} 个电话，{tickets} 张工单，用时 {seconds:.1f} 秒",
        "en": "Demo data: {customers} customers, {phones} phones, {tickets} tickets in "
              "{seconds:.1f} s",
    },
}


class UnknownLanguage(ValueError):
    pass


def set_lang(lang: str) -> None:
    global _lang
    if lang not in LANGS:
        raise UnknownLanguage(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    _lang = lang


def lang() -> str:
    return _lang


def t(key: str, **values: object) -> str:
    """The message for ``key`` in the current language, with ``values`` filled in.

    The result is plain text: widgets must render it as text, never as markup.
    """
    entry = CATALOG.get(key)
    if entry is None:
        return key  # a missing key shows itself rather than crashing a screen
    text = entry.get(_lang) or entry["zh"]
    return text.format(**values) if values else text
