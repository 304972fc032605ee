"""Words that say nothing about a topic, left out of top terms.

English and Russian function words, plus the boilerplate of news copy ("said",
"according", weekdays, months, "mr") and of web pages ("http", "www"). Stored folded
(text.tokens.fold), the form tokens take, so Russian "её" and "ее" are one entry and
"й" is folded as the tokenizer folds it.
"""

from __future__ import annotations

from presswatch.text.tokens import fold

_ENGLISH = """
a about above across after afterwards again against ago ahead all almost alone along already
also although always am among amongst an and another any anybody anyhow anyone anything
anyway anywhere are aren around as at away back be became because become becomes becoming
been before beforehand behind being below beside besides between beyond both but by can
cannot cant could couldn d did didn do does doesn doing don done down due during each eg
either else elsewhere enough especially etc even ever every everybody everyone everything
everywhere except far few fifth first five for former formerly forth four from further
furthermore get gets getting give given gives go goes going gone got had hadn has hasn have
haven having he hence her here hereafter hereby herein hers herself him himself his how
however hundred i ie if in inc indeed instead into is isn it its itself just keep kept last
latter latterly least less let lets like likely ll m made make makes making many may maybe
me meanwhile might mine more moreover most mostly much must my myself namely neither never
nevertheless next nine no nobody none noone nor not nothing now nowhere o of off often on
once one only onto or other others otherwise our ours ourselves out over own per perhaps
please put quite rather re really s same second see seem seemed seeming seems seen several
shall she should shouldn since six so some somebody somehow someone something sometime
sometimes somewhere still such t take taken than that the their theirs them themselves then
thence there thereafter thereby therefore therein thereupon these they third this those
though three through throughout thru thus to together too toward towards twelve twenty two
under unless until up upon us use used uses using ve very via was wasn way we well were
weren what whatever when whence whenever where whereafter whereas whereby wherein whereupon
wherever whether which while whither who whoever whole whom whose why will with within
without won would wouldn y yet you your yours yourself yourselves
amid amidst despite including inside near outside regarding unlike versus vs
"""

_NEWS = """
said says say saying told tell tells according reportedly reported added noted stated
asked announced claimed comment comments statement statements
mr mrs ms dr st jr sr
new year years today yesterday tomorrow week weeks month months day days time times
ago recent recently later earlier percent
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
http https www com org net html htm php amp nbsp quot click read share email subscribe
image images photo photos video copyright rights reserved
"""

_RUSSIAN = """
а ах без более больше будем будет будете будешь буду будут будь бы был была были было быть
в вам вами вас весь во вот все всё всего всех всю вся вы где да даже два для до его ее её
ей ему если есть еще ещё ж же за здесь и из или им ими их к как какая какой каких когда
кого кое кто куда ли либо меня мне мной мы на над наш наша наше наши не него нее неё ней
нем нём нему нет ни нибудь никогда ним ними них ничего но ну о об один одна одно одни он
она они оно от очень по под при про с сам сама сами само свое своё своей свои свой своих
себе себя сейчас со так также такая такие такой там те тем теперь то тоже той только том
тот тут ты у уж уже хотя чего чей чем через что чтобы чье чья эта эти это этого этой этом
этот эту я
также который которая которое которые которого которой котором которых
заявил заявила заявили сказал сказала сказали сообщил сообщила сообщили говорит отметил
отметила по словам году года годы лет год сегодня вчера
"""

STOP_WORDS: frozenset[str] = frozenset(fold(w) for w in (_ENGLISH + _NEWS + _RUSSIAN).split())
