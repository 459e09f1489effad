"""X's weighted text length (twitter-text v3), written out so the composer never guesses.

X refuses a post whose *weighted* length exceeds 280, and the weight is not ``len()``: text is
NFC-normalised, code points in a few ranges weigh 1 and all others 2, every emoji sequence
(a ZWJ family, a flag, a keycap, a skin tone) weighs 2 in total, and every URL weighs 23 however
long it is (X wraps it in t.co). A counter that is off by one either way either loses posts to
400 errors or cuts comments that would have fitted, so this module follows twitter-text's
published rules and is checked against its conformance suite (``validate.yml``).

Why not the ``twitter-text-parser`` package: it fails to import with current setuptools (it
imports ``pkg_resources``), its emoji table is from 2019 (newer sequences such as 🐦‍🔥 count 5),
and it manages ~900 calls/s, while the composer measures many candidate texts per entry. Here
emoji come from the installed ``regex`` module's Unicode data (grapheme clusters ``\\X`` plus
Extended_Pictographic / Emoji_Presentation / Regional_Indicator / keycap checks), and URL
extraction uses one compiled pattern with the TLD list compiled into a trie.

The URL rules, the weight table and the TLD list are those of twitter-text v3
(https://github.com/twitter/twitter-text, Apache-2.0); the code is ours. Offsets are in code
points of the text as given (twitter-text counts UTF-16 units, which only matters for its
display ranges, which we do not need).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

# --- config-v3.json, embedded: the repository must not read ../shared at run time -------------
MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
#: (first code point, last code point, weight); everything else weighs DEFAULT_WEIGHT.
RANGES: tuple[tuple[int, int, int], ...] = (
    (0, 4351, 100),
    (8192, 8205, 100),
    (8208, 8223, 100),
    (8242, 8247, 100),
)

_LIGHT = RANGES[0][2]
if any(weight != _LIGHT for _, _, weight in RANGES):  # pragma: no cover - guards a config edit
    raise RuntimeError("textlen assumes every range in the v3 config has the same weight")
_EXTRA = DEFAULT_WEIGHT - _LIGHT
_HEAVY = re.compile(
    "[^" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi, _ in RANGES) + "]",
)
_URL_UNITS = TRANSFORMED_URL_LENGTH * SCALE
_MAX_URL_LENGTH = 4096  # twitter-text: scheme + URL, in UTF-16 units
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63  # a DNS label, after punycode
_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")

# --- emoji ----------------------------------------------------------------------------------
# A grapheme cluster is an emoji sequence when it starts with a keycap (0-9 # * [FE0F] 20E3), a
# regional indicator (flags), an emoji-presentation character, or a pictograph that is turned
# into an emoji by what follows (FE0F, a skin tone, ZWJ or a tag sequence). A bare text-style
# pictograph such as © keeps its per-code-point weight, as in twitter-text.
_EMOJI_CLUSTER = regex.compile(
    r"(?=[#*0-9]\uFE0F?\u20E3"
    r"|\p{Regional_Indicator}"
    r"|\p{Extended_Pictographic}[\uFE0F\u200D\p{Emoji_Modifier}\U000E0020-\U000E007F]"
    r"|\p{Emoji_Presentation})\X"
)
_CLUSTER = regex.compile(r"\X")
# Every character that can start an emoji sequence, and more (whole blocks, so that emoji added
# to Unicode later are still found); tests check it covers what the installed regex knows.
_EMOJI_HINT = re.compile(
    "[#*0-9]\ufe0f?\u20e3|[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u21ff\u2300-\u23ff"
    "\u24c2\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001ffff]"
)

# --- URL extraction (twitter-text extractUrlsWithIndices) ---------------------------------------
# ASCII punctuation (Java twitter-text's \p{Punct}; the JS port's list lacks '"' and '`').
_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: twitter-text's space characters: a URL never spans one.
SPACES = re.compile(f"[{_SPACES}]")
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_NOT_DOMAIN = f"{_SPACES}{_INVALID}{_DIRECTIONAL}"
_PUNCT_NO_DASH = _PUNCT.replace(r"\-", "")
_PUNCT_NO_DASH_UNDERSCORE = _PUNCT_NO_DASH.replace("_", "")
_D = f"[^{_PUNCT}{_NOT_DOMAIN}]"  # a domain character
_D_HYPHEN = f"[^{_PUNCT_NO_DASH}{_NOT_DOMAIN}]"  # ... or '-'
_D_HYPHEN_UNDERSCORE = f"[^{_PUNCT_NO_DASH_UNDERSCORE}{_NOT_DOMAIN}]"  # ... or '-' or '_'
# A label starts and ends with a domain character; possessive matching plus a look-behind on
# the last character accepts exactly the same labels as twitter-text's backtracking form, in
# linear time.
_SUBDOMAIN = f"(?:{_D}{_D_HYPHEN_UNDERSCORE}*+(?<={_D})\\.)"
_DOMAIN_NAME = f"(?:{_D}{_D_HYPHEN}*+(?<={_D})\\.)"
_TLD_END = r"(?=[^0-9a-zA-Z@+\-]|\Z)"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
    "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_PATH_CHAR = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = f"(?:\\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\\({_PATH_CHAR}+\\){_PATH_CHAR}*))\\))"
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = f"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"
_PRECEDING = "(?:[^A-Za-z0-9@\uff20$#\uff03" + _INVALID + "]|^)"  # may precede a URL

# gTLDs and ccTLDs as twitter-text lists them (its validGTLD / validCCTLD).
_GTLDS = """
삼성 닷컴 닷넷 香格里拉 餐厅 食品 飞利浦 電訊盈科 集团 通販 购物 谷歌 诺基亚 联通 网络 网站 网店
网址 组织机构 移动 珠宝 点看 游戏 淡马锡 机构 書籍 时尚 新闻 政府 政务 招聘 手表 手机 我爱你
慈善 微博 广东 工行 家電 娱乐 天主教 大拿 大众汽车 在线 嘉里大酒店 嘉里 商标 商店 商城 公益 公司
八卦 健康 信息 佛山 企业 中文网 中信 世界 ポイント ファッション セール ストア コム グーグル
クラウド みんな คอม संगठन नेट कॉम همراه موقع موبايلي كوم كاثوليك عرب شبكة بيتك بازار العليان
ارامكو اتصالات ابوظبي קום сайт рус орг онлайн москва ком католик дети zuerich zone zippo zip
zero zara zappos yun youtube you yokohama yoga yodobashi yandex yamaxun yahoo yachts xyz xxx
xperia xin xihuan xfinity xerox xbox wtf wtc wow world works work woodside wolterskluwer wme
winners wine windows win williamhill wiki wien whoswho weir weibo wedding wed website weber
webcam weatherchannel weather watches watch warman wanggou wang walter walmart wales vuelos
voyage voto voting vote volvo volkswagen vodka vlaanderen vivo viva vistaprint vista vision visa
virgin vip vin villas viking vig video viajes vet versicherung vermögensberatung
vermögensberater verisign ventures vegas vanguard vana vacations ups uol uno university unicom
uconnect ubs ubank tvs tushu tunes tui tube trv trust travelersinsurance travelers travelchannel
travel training trading trade toys toyota town tours total toshiba toray top tools tokyo today
tmall tkmaxx tjx tjmaxx tirol tires tips tiffany tienda tickets tiaa theatre theater thd teva
tennis temasek telefonica telecity tel technology tech team tdk tci taxi tax tattoo tatar
tatamotors target taobao talk taipei tab systems symantec sydney swiss swiftcover swatch suzuki
surgery surf support supply supplies sucks style study studio stream store storage stockholm
stcgroup stc statoil statefarm statebank starhub star staples stada srt srl spreadbetting spot
sport spiegel space soy sony song solutions solar sohu software softbank social soccer sncf
smile smart sling skype sky skin ski site singles sina silk shriram showtime show shouji
shopping shop shoes shiksha shia shell shaw sharp shangrila sfr sexy sex sew seven ses services
sener select seek security secure seat search scot scor scjohnson science schwarz schule school
scholarships schmidt schaeffler scb sca sbs sbi saxo save sas sarl sapo sap sanofi
sandvikcoromant sandvik samsung samsclub salon sale sakura safety safe saarland ryukyu rwe run
ruhr rugby rsvp room rogers rodeo rocks rocher rmit rip rio ril rightathome ricoh richardli rich
rexroth reviews review restaurant rest republican report repair rentals rent ren reliance reit
reisen reise rehab redumbrella redstone red recipes realty realtor realestate read raid radio
racing qvc quest quebec qpon pwc pub prudential pru protection property properties promo
progressive prof productions prod pro prime press praxi pramerica post porn politie poker pohl
pnc plus plumbing playstation play place pizza pioneer pink ping pin pid pictures pictet pics
piaget physio photos photography photo phone philips phd pharmacy pfizer pet pccw pay passagens
party parts partners pars paris panerai panasonic pamperedchef page ovh ott otsuka osaka origins
orientexpress organic org orange oracle open ooo onyourside online onl ong one omega ollo
oldnavy olayangroup olayan okinawa office off observer obi nyc ntt nrw nra nowtv nowruz now
norton northwesternmutual nokia nissay nissan ninja nikon nike nico nhk ngo nfl nexus nextdirect
next news newholland new neustar network netflix netbank net nec nba navy natura nationwide name
nagoya nadex nab mutuelle mutual museum mtr mtpc mtn msd movistar movie mov motorcycles moto
moscow mortgage mormon mopar montblanc monster money monash mom moi moe moda mobily mobile mobi
mma mls mlb mitsubishi mit mint mini mil microsoft miami metlife merckmsd meo menu men memorial
meme melbourne meet media med mckinsey mcdonalds mcd mba mattel maserati marshalls marriott
markets marketing market map mango management man makeup maison maif madrid macys luxury luxe
lupin lundbeck ltda ltd lplfinancial lpl love lotto lotte london lol loft locus locker loans
loan llp llc lixil living live lipsy link linde lincoln limo limited lilly like lighting
lifestyle lifeinsurance life lidl liaison lgbt lexus lego legal lefrak leclerc lease lds lawyer
law latrobe latino lat lasalle lanxess landrover land lancome lancia lancaster lamer lamborghini
ladbrokes lacaixa kyoto kuokgroup kred krd kpn kpmg kosher komatsu koeln kiwi kitchen kindle
kinder kim kia kfh kerryproperties kerrylogistics kerryhotels kddi kaufen juniper juegos jprs
jpmorgan joy jot joburg jobs jnj jmp jll jlc jio jewelry jetzt jeep jcp jcb java jaguar iwc
iveco itv itau istanbul ist ismaili iselect irish ipiranga investments intuit international
intel int insure insurance institute ink ing info infiniti industries inc immobilien immo imdb
imamat ikano iinet ifm ieee icu ice icbc ibm hyundai hyatt hughes htc hsbc how house hotmail
hotels hoteles hot hosting host hospital horse honeywell honda homesense homes homegoods
homedepot holiday holdings hockey hkt hiv hitachi hisamitsu hiphop hgtv hermes here helsinki
help healthcare health hdfcbank hdfc hbo haus hangout hamburg hair guru guitars guide guge gucci
guardian group grocery gripe green gratis graphics grainger gov got gop google goog goodyear
goodhands goo golf goldpoint gold godaddy gmx gmo gmbh gmail globo global gle glass glade giving
gives gifts gift ggee george genting gent gea gdn gbiz gay garden gap games game gallup gallo
gallery gal fyi futbol furniture fund fun fujixerox fujitsu ftr frontier frontdoor frogans frl
fresenius free fox foundation forum forsale forex ford football foodnetwork food foo fly
flsmidth flowers florist flir flights flickr fitness fit fishing fish firmdale firestone fire
financial finance final film fido fidelity fiat ferrero ferrari feedback fedex fast fashion
farmers farm fans fan family faith fairwinds fail fage extraspace express exposed expert
exchange everbank events eus eurovision etisalat esurance estate esq erni ericsson equipment
epson epost enterprises engineering engineer energy emerck email education edu edeka eco eat
earth dvr dvag durban dupont duns dunlop duck dubai dtv drive download dot doosan domains doha
dog dodge doctor docs dnp diy dish discover discount directory direct digital diet diamonds dhl
dev design desi dentist dental democrat delta deloitte dell delivery degree deals dealer deal
dds dclk day datsun dating date data dance dad dabur cyou cymru cuisinella csc cruises cruise
crs crown cricket creditunion creditcard credit cpa courses coupons coupon country corsica coop
cool cookingchannel cooking contractors contact consulting construction condos comsec computer
compare company community commbank comcast com cologne college coffee codes coach clubmed club
cloud clothing clinique clinic click cleaning claims cityeats city citic citi citadel cisco
circle cipriani church chrysler chrome christmas chloe chintai cheap chat chase charity channel
chanel cfd cfa cern ceo center ceb cbs cbre cbn cba catholic catering cat casino cash caseih
case casa cartier cars careers career care cards caravan car capitalone capital capetown canon
cancerresearch camp camera cam calvinklein call cal cafe cab bzh buzz buy business builders
build bugatti budapest brussels brother broker broadway bridgestone bradesco box boutique bot
boston bostik bosch boots booking book boo bond bom bofa boehringer boats bnpparibas bnl bmw bms
blue bloomberg blog blockbuster blanco blackfriday black biz bio bingo bing bike bid bible
bharti bet bestbuy best berlin bentley beer beauty beats bcn bcg bbva bbt bbc bayern bauhaus
basketball baseball bargains barefoot barclays barclaycard barcelona bar bank band
bananarepublic banamex baidu baby azure axa aws avianca autos auto author auspost audio audible
audi auction attorney athleta associates asia asda arte art arpa army archi aramco arab
aquarelle apple app apartments aol anz anquan android analytics amsterdam amica amfam amex
americanfamily americanexpress alstom alsace ally allstate allfinanz alipay alibaba alfaromeo
akdn airtel airforce airbus aigo aig agency agakhan africa afl afamilycompany aetna aero aeg
adult ads adac actor active aco accountants accountant accenture academy abudhabi abogado able
abc abbvie abbott abb abarth aarp aaa onion
"""
_CCTLDS = """
한국 香港 澳門 新加坡 台灣 台湾 中國 中国 გე ລາວ ไทย ලංකා ഭാരതം ಭಾರತ భారత్ சிங்கப்பூர் இலங்கை
இந்தியா ଭାରତ ભારત ਭਾਰਤ ভাৰত ভারত বাংলা भारोत भारतम् भारत ڀارت پاکستان موريتانيا مليسيا مصر قطر
فلسطين عمان عراق سورية سودان تونس بھارت بارت ایران امارات المغرب السعودية الجزائر البحرين الاردن
հայ қаз укр срб рф мон мкд ею бел бг ευ ελ zw zm za yt ye ws wf vu vn vi vg ve vc va uz uy us um
uk ug ua tz tw tv tt tr tp to tn tm tl tk tj th tg tf td tc sz sy sx sv su st ss sr so sn sm sl
sk sj si sh sg se sd sc sb sa rw ru rs ro re qa py pw pt ps pr pn pm pl pk ph pg pf pe pa om nz
nu nr np no nl ni ng nf ne nc na mz my mx mw mv mu mt ms mr mq mp mo mn mm ml mk mh mg mf me md
mc ma ly lv lu lt ls lr lk li lc lb la kz ky kw kr kp kn km ki kh kg ke jp jo jm je it is ir iq
io in im il ie id hu ht hr hn hm hk gy gw gu gt gs gr gq gp gn gm gl gi gh gg gf ge gd gb ga fr
fo fm fk fj fi eu et es er eh eg ee ec dz do dm dk dj de cz cy cx cw cv cu cr co cn cm cl ck ci
ch cg cf cd cc ca bz by bw bv bt bs br bq bo bn bm bl bj bi bh bg bf be bd bb ba az ax aw au at
as ar aq ao an am al ai ag af ae ad ac
"""


_Trie = dict[str, "_Trie"]


def _trie_pattern(words: list[str], end: str) -> str:
    """One alternation per trie node, longer continuations first, ``end`` after each word.

    twitter-text writes its ~1,500 TLDs as a flat alternation; a backtracking engine then tries
    them one by one at every candidate position. A trie matches the same strings (with the same
    longest-first preference) in a handful of steps.
    """
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        alternatives = [re.escape(char) + build(child) for char, child in node.items() if char]
        if "" in node:
            alternatives.append(end)
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    return build(root)


_TLD = "(?:" + _trie_pattern(sorted(set(_GTLDS.split()) | set(_CCTLDS.split())), _TLD_END)
_TLD += f"|{_PUNYCODE})"
_CCTLD = _trie_pattern(sorted(set(_CCTLDS.split())), _TLD_END)
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"


class _LazyPattern:
    """A pattern compiled on first use: the three TLD-trie patterns take ~1.5 s to compile,
    which every `paperbot` command would otherwise pay at import, composing or not."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def get(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return self._compiled


_EXTRACT_URL_LAZY = _LazyPattern(
    f"(?P<before>{_PRECEDING})"
    "(?P<url>"
    "(?P<protocol>https?://)?"
    f"(?P<domain>{_DOMAIN})"
    "(?::[0-9]+)?"
    f"(?P<path>/{_PATH}*)?"
    f"(?:\\?{_QUERY_CHAR}*{_QUERY_END})?"
    ")",
    re.IGNORECASE,
)
_ASCII_DOMAIN_LAZY = _LazyPattern(f"(?:[\\-a-z0-9{_LATIN_ACCENTS}]+\\.)+{_TLD}", re.IGNORECASE)
_SHORT_CC_DOMAIN_LAZY = _LazyPattern(f"{_DOMAIN_NAME}{_CCTLD}\\Z", re.IGNORECASE)
_SPECIAL_SHORT_DOMAIN = re.compile(f"{_DOMAIN_NAME}(?:co|tv)\\Z", re.IGNORECASE)
_TCO_URL = re.compile(r"https?://t\.co/([a-z0-9]+)", re.IGNORECASE)
_NO_PROTOCOL_BAD_BEFORE = frozenset("-_./")
_ASCII_TLDS = frozenset(tld for tld in (_GTLDS + _CCTLDS).split() if tld.isascii())
# A '.' that may start a TLD: ASCII letters that are a TLD (or "xn" of "xn--"), or any letters
# running into a non-ASCII character (Unicode TLDs). Checked in Python: a trie in a pattern is
# slower than a set lookup here, and a superset only costs a failed try.
_TLD_AT_LAZY = _LazyPattern(_TLD, re.IGNORECASE)
_DOT_WORD = re.compile(r"\.(?:([A-Za-z][A-Za-z0-9]*)([^\x00-\x7f])?|[^\x00-\x7f])")
# Characters that end a run of domain characters (labels, dots, '-' and '_' continue it).
_RUN_BREAK_REVERSED = regex.compile(
    "(?r)[" + _PUNCT.replace(r"\-", "").replace("_", "").replace(".", "") + _NOT_DOMAIN + "]"
)
_PUNCT_MAY_PRECEDE = _PUNCT.replace("@", "").replace("$", "").replace("#", "")
_BAD_BEFORE = "A-Za-z0-9@\uff20$#\uff03" + _INVALID  # may not precede a URL
# Start positions (of the preceding character) worth a try: a valid preceding character that
# is not a domain character, or that follows one that may not precede a URL, before a domain
# character; or any valid preceding character before "http(s)://".
_CANDIDATE_START = re.compile(
    f"(?:[^{_BAD_BEFORE}](?=(?i:https?://)))"
    f"|(?:[{_PUNCT_MAY_PRECEDE}{_SPACES}{_DIRECTIONAL}](?={_D}))"
    f"|(?:(?<=[{_BAD_BEFORE}])[^{_BAD_BEFORE}](?={_D}))"
)


@lru_cache(maxsize=4096)
def _label_length(label: str) -> int:
    """Length of a DNS label once IDNA-encoded (what the 63-character limit applies to)."""
    if all(ord(char) < 0x7F for char in label):
        return len(label)
    return len("xn--") + len(label.encode("punycode"))


def _domain_is_valid(domain: str) -> bool:
    """twitter-text's IDNA check: a punycode domain must be ASCII, each label 1–63 once encoded."""
    if domain.startswith("xn--") and not _ASCII_DOMAIN_LAZY.get().search(domain):
        return False
    if domain.isascii():
        return max(map(len, domain.split("."))) <= _MAX_LABEL_LENGTH  # (labels are not empty)
    return all(1 <= _label_length(label) <= _MAX_LABEL_LENGTH for label in domain.split("."))


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _leftmost_match(text: str, position: int, dot: int) -> re.Match[str] | None:
    """The match ``_EXTRACT_URL.search(text, position)`` would find, if it starts by ``dot``.

    ``dot`` is a '.' followed by a TLD; every URL has one. A plain search is quadratic in long
    runs of domain characters (CJK prose without spaces is one long run), so this tries only
    the start positions whose outcome can differ: within one run of domain characters every
    start reaches the same first '.', with the same label validity, so only the first valid
    start of each run, and each ``http(s)://`` inside it, need a try.
    """
    brk = _RUN_BREAK_REVERSED.search(text, position, dot)
    run_start = brk.end() if brk else position
    # The match starts at the character before the URL (its scheme, if one precedes the run).
    before_run = text[max(0, run_start - 8) : run_start].lower()
    if before_run.endswith("https://"):
        run_start -= 8
    elif before_run.endswith("http://"):
        run_start -= 7
    start = max(position, run_start - 1)
    while start <= dot:
        match = _EXTRACT_URL_LAZY.get().match(text, start)
        if match:
            return match
        candidate = _CANDIDATE_START.search(text, start + 1)  # (no endpos: it cuts look-aheads)
        if candidate is None or candidate.start() > dot:
            return None
        start = candidate.start()
    return None


def extract_urls(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` spans of the URLs X would shorten to t.co links, in order.

    Follows twitter-text's ``extractUrlsWithIndices`` (with URLs without a scheme, such as
    ``arxiv.org/abs/2009.01835``): a domain needs a known TLD, a protocol-less URL keeps only
    its ASCII domain and is dropped after ``-_./``, a bare two-label ccTLD domain (``foo.jp``)
    is not a link unless it has a path (``t.co`` and ``*.tv`` are), and t.co links stop after
    the slug. Spans index ``text`` as given; pass NFC text to see what X sees.
    """
    if "." not in text:
        return []
    spans: list[tuple[int, int]] = []
    position = 0
    for dot_match in _DOT_WORD.finditer(text):
        dot = dot_match.start()
        if dot < position:
            continue
        word, non_ascii = dot_match.groups()
        if word and not non_ascii:
            word = word.lower()
            if word not in _ASCII_TLDS and word != "xn":
                continue
        elif not _TLD_AT_LAZY.get().match(text, dot + 1):
            continue  # CJK prose often has '.' before a non-ASCII letter: check exactly
        match = _leftmost_match(text, position, dot)
        if match is None:
            position = dot + 1  # no match starts at or before this dot
            continue
        position = match.end()
        _accept(match, spans)
    return spans


def _accept(match: re.Match[str], spans: list[tuple[int, int]]) -> None:
    """Apply twitter-text's checks to one pattern match and record the link it yields, if any."""
    url = match.group("url")
    protocol = match.group("protocol")
    domain = match.group("domain")
    start, end = match.span("url")
    scheme_length = len(protocol or "https://")
    # (2 * len bounds the UTF-16 length: count exactly only for URLs near the limit.)
    if (
        scheme_length + 2 * len(url) > _MAX_URL_LENGTH
        and scheme_length + _utf16_length(url) > _MAX_URL_LENGTH
    ):
        return
    if not _domain_is_valid(domain):
        return
    if protocol:
        tco = _TCO_URL.match(url)
        if tco:
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                return
            end = start + tco.end()
        spans.append((start, end))
        return
    before = match.group("before")
    if before and before in _NO_PROTOCOL_BAD_BEFORE:
        return
    path = match.group("path")
    if domain.isascii() and "_" not in domain:
        # The whole domain is the one ASCII domain in it (the usual case; saves a TLD search).
        ascii_domains = [(0, len(domain))]
    else:
        ascii_domains = [found.span() for found in _ASCII_DOMAIN_LAZY.get().finditer(domain)]
    last: tuple[int, int] | None = None
    for ascii_start, ascii_end in ascii_domains:
        last = (start + ascii_start, start + ascii_end)
        ascii_domain = domain[ascii_start:ascii_end]
        if (
            path
            or _SPECIAL_SHORT_DOMAIN.match(ascii_domain)
            or not _SHORT_CC_DOMAIN_LAZY.get().match(ascii_domain)
        ):
            spans.append(last)
    if last is not None and path:
        spans[-1] = (last[0], end)


# --- weights ----------------------------------------------------------------------------------
_BMP_WEIGHT = bytearray([DEFAULT_WEIGHT // SCALE]) * 0x10000  # weight of each BMP code point
for _lo, _hi, _weight in RANGES:
    _BMP_WEIGHT[_lo : _hi + 1] = bytes([_weight // SCALE]) * (_hi - _lo + 1)
_DEFAULT_CHARS = DEFAULT_WEIGHT // SCALE


def _plain_units(text: str) -> int:
    """Weight in SCALE units, code point by code point (no emoji or URL rules)."""
    if text.isascii():
        return len(text) * _LIGHT
    return len(text) * _LIGHT + len(_HEAVY.findall(text)) * _EXTRA


def _units(text: str) -> int:
    """Weight in SCALE units of text that holds no URL: code points, emoji sequences counted 2."""
    units = _plain_units(text)
    if not text.isascii():
        for start, end in _emoji_spans(text):
            units += DEFAULT_WEIGHT - _plain_units(text[start:end])
    return units


def _emoji_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the emoji sequences in ``text``.

    Equivalent to ``_EMOJI_CLUSTER.finditer(text)``, but the slow grapheme pattern only runs
    where a cheap superset of emoji starting characters (``_EMOJI_HINT``) is found.
    """
    spans: list[tuple[int, int]] = []
    end = 0
    for hint in _EMOJI_HINT.finditer(text):
        if hint.start() < end:
            continue
        match = _EMOJI_CLUSTER.match(text, hint.start())
        if match:
            spans.append(match.span())
            end = match.end()
    return spans


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _scaled_length(text: str, spans: list[tuple[int, int]] | None = None) -> int:
    units = 0
    position = 0
    for start, end in extract_urls(text) if spans is None else spans:
        units += _units(text[position:start]) + _URL_UNITS
        position = end
    return units + _units(text[position:])


def weighted_length(text: str) -> int:
    """The length X checks against 280 (twitter-text v3 ``weightedLength``)."""
    return _scaled_length(_nfc(text)) // SCALE


def measure(text: str) -> tuple[int, list[tuple[int, int]]]:
    """``weighted_length(text)`` and ``extract_urls(text)`` at the cost of one: for NFC text."""
    spans = extract_urls(text)
    return _scaled_length(text, spans) // SCALE, spans


def is_known_tld(label: str) -> bool:
    """Whether ``label`` (ASCII, any case) is a top-level domain in twitter-text's list.

    Other platforms link bare domains (``arxiv.org/abs/...``) only under a known TLD too.
    """
    return label.lower() in _ASCII_TLDS


def is_emoji_sequence(cluster: str) -> bool:
    """Whether a grapheme cluster counts as one emoji (weight 2 whatever its code points)."""
    match = _EMOJI_CLUSTER.match(cluster)
    return match is not None and match.end() == len(cluster)


TEXT, EMOJI, URL = "text", "emoji", "url"  # kinds of atom


def atoms(text: str, max_weight: int | None = None) -> list[tuple[int, int, int, str]]:
    """``(start, end, weight, kind)`` for the indivisible pieces of ``text``, in order.

    The pieces are URLs and grapheme clusters: a cut between atoms never splits a link, an
    emoji sequence or a combining sequence. Weights (in whole characters) add up to
    ``weighted_length`` for NFC text, as long as a cut does not create or destroy a URL, which
    callers verify. With ``max_weight`` the list stops at the first atom past that weight, for
    shortening long texts without walking all of them.
    """
    pieces: list[tuple[int, int, int, str]] = []
    table = _BMP_WEIGHT
    bound = max_weight if max_weight is not None else -1
    total = 0

    def add_gap(offset: int, gap: str) -> bool:
        """Append the gap's clusters; False once past ``max_weight``."""
        nonlocal total
        if gap.isascii():
            count = len(gap) if bound < 0 else min(len(gap), bound - total + 1)
            pieces.extend((i, i + 1, 1, TEXT) for i in range(offset, offset + max(count, 0)))
            total += count
            return bound < 0 or total <= bound
        position = offset
        for cluster in _CLUSTER.findall(gap):
            size = len(cluster)
            emoji = _EMOJI_HINT.match(cluster) is not None and is_emoji_sequence(cluster)
            if emoji:
                weight = _DEFAULT_CHARS
            elif size == 1:
                code = ord(cluster)
                weight = table[code] if code < 0x10000 else _DEFAULT_CHARS
            else:
                weight = _plain_units(cluster) // SCALE
            pieces.append((position, position + size, weight, EMOJI if emoji else TEXT))
            position += size
            total += weight
            if 0 <= bound < total:
                return False
        return True

    position = 0
    for start, end in extract_urls(text):
        if not add_gap(position, text[position:start]):
            return pieces
        # A link can end inside a grapheme cluster ("…/2009.01835#️⃣" ends at '#'): the rest of
        # the cluster goes with the link, so that no cut separates them.
        cluster = _CLUSTER.match(text, end - 1)
        cluster_end = max(end, cluster.end()) if cluster else end
        weight = TRANSFORMED_URL_LENGTH + _plain_units(text[end:cluster_end]) // SCALE
        pieces.append((start, cluster_end, weight, URL))
        total += weight
        if 0 <= bound < total:
            return pieces
        position = cluster_end
    add_gap(position, text[position:])
    return pieces


@dataclass(frozen=True)
class TextCheck:
    """What X's counter says about a text: its weight and whether X would accept it."""

    weighted_length: int
    valid: bool
    permillage: int


def check(text: str, limit: int = MAX_WEIGHTED_LENGTH) -> TextCheck:
    """twitter-text's ``parseTweet``: valid = non-empty, within ``limit``, no U+FFFE/FEFF/FFFF."""
    normalized = _nfc(text)
    length = _scaled_length(normalized) // SCALE
    valid = 0 < length <= limit and _INVALID_CHARS.isdisjoint(normalized)
    return TextCheck(length, valid, int(length / limit * 1000))


# --- URL validation (twitter-text isValidUrl) ---------------------------------------------------
_URL_PARTS = re.compile(r"(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
_UNRESERVED = r"[a-z\u0400-\u04ff0-9\-._~]"
_PCT = r"%[0-9a-f]{2}"
_SUB_DELIMS = r"[!$&'()*+,;=]"
_PCHAR = f"(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|[:|@])"
_NON_ASCII = r"[^\x00-\x7f]"
_SEGMENT_CHAR = f"(?:[a-z0-9]|{_NON_ASCII})"
_VALID_PATH = re.compile(f"(?:/{_PCHAR}*)*", re.IGNORECASE)
_VALID_QUERY = re.compile(f"(?:{_PCHAR}|/|\\?)*", re.IGNORECASE)
_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9][0-9]|[0-9])"
_AUTHORITY = re.compile(
    f"(?:(?:{_UNRESERVED}|{_PCT}|{_SUB_DELIMS}|:)*@)?"
    "(?:"
    f"{_DEC_OCTET}(?:\\.{_DEC_OCTET}){{3}}"
    r"|\[[a-f0-9:.]+\]"
    f"|(?:{_SEGMENT_CHAR}(?:(?:[a-z0-9_\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?\\.)*"
    f"(?:{_SEGMENT_CHAR}(?:(?:[a-z0-9\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?\\.)"
    f"(?:(?:[a-z]|{_NON_ASCII})(?:(?:[a-z0-9\\-]|{_NON_ASCII})*{_SEGMENT_CHAR})?)"
    ")"
    "(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def _whole(pattern: re.Pattern[str], text: str) -> bool:
    """twitter-text's test: the pattern's first match at the start must cover the whole text."""
    match = pattern.match(text)
    return match is not None and match.end() == len(text)


def is_valid_url(text: str, *, require_protocol: bool = True) -> bool:
    """Whether ``text`` as a whole is a well-formed http(s) URL (RFC 3986, Unicode hosts).

    This is twitter-text's ``isValidUrl``; it is stricter about syntax than extraction (which
    finds links inside prose) and is what the ``urls`` conformance sections test.
    """
    parts = _URL_PARTS.fullmatch(text) if text else None
    if parts is None:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    if require_protocol and (scheme is None or scheme.lower() not in ("http", "https")):
        return False
    if not _whole(_VALID_PATH, path):
        return False
    if query is not None and not _whole(_VALID_QUERY, query):
        return False
    if fragment is not None and not _whole(_VALID_QUERY, fragment):
        return False
    return _whole(_AUTHORITY, authority)
