"""Phrase and template pools for the injector, written for this benchmark.

Nothing here is copied from the checks: the pools describe what broken data looks like in the
wild (scraped chat logs, generator tics, leaked templates), phrased many ways, so that a check
has to recognise the kind of defect rather than one string. Templates use ``{name}``-style
slots that the injector fills.
"""

from __future__ import annotations

# --------------------------------------------------------------------------- structure
ROLE_SPELLINGS = {
    "user": ["USER", "User", "HUMAN", "Human", "human", " user", "user "],
    "assistant": ["ASSISTANT", "Assistant", "GPT", "gpt", "Bot", "BOT", "AI", "assistant "],
    "system": ["SYSTEM", "System", "SYS"],
}
TRAILING_USER = [
    "Thanks, that was great.", "what happens next?", "Can you keep going", "ok and then?",
    "Wait, say that again?", "Tell me more about that.", "hmm. interesting", "And after that?",
    "*I lean in closer.* Go on.", "Could you explain the last part again?", "lol ok", "Why?",
    "That's all for now, bye!", "Continue please", "I see. What would you do differently?",
]
PADDING = [" ", "  ", "\n", "\n\n", "\t", " \n", "\n ", "   \n\n", "\r\n", " \t "]

# --------------------------------------------------------------------------- role-confusion
USER_LABELS = ["User", "USER", "Human", "HUMAN", "human", "You", "Me", "{{user}}", "Player", "Q",
               "Anon", "Guest", "user", "Customer", "Visitor"]
ASSISTANT_LABELS = ["Assistant", "AI", "Bot", "GPT", "Model", "{{char}}", "A", "Response"]
#: (style, weight): colon labels are the common leak; the others keep a check from keying on one shape.
LABEL_STYLES = [("{label}: ", 6), ("{label}:", 2), ("**{label}:** ", 2), ("### {label}: ", 1), ("{label} - ", 1),
                ("[{label}] ", 1), ("<{label}> ", 1), ("{label} >> ", 1), ("\u2014 {label}: ", 1)]
FAKE_USER_LINES = [
    "that's really cool, tell me more", "Wait, what do you mean by that?", "*I nod slowly.* Okay, and then what?",
    "Can we go somewhere quieter?", "haha ok. what's your favourite part?", "I don't believe you.",
    "So what should I do now", "Thank you so much! One more question though.", "Are you serious right now?",
    "Fine. Show me.", "*grabs the map* Which way?", "how long will that take", "Really? Why is that?",
    "Okay I think I get it. Can you give an example?", "Hold on, let me write that down.",
    "Sounds good to me!", "What if it doesn't work?", "You never told me your name.",
]
FAKE_REPLY_LINES = [
    "Of course. Let me explain.", "*smiles* Patience, I'm getting there.", "Because that's how it has always been.",
    "Here is an example.", "I'm glad you asked.", "Then we try again tomorrow.", "Follow me.",
]
TEMPLATE_TOKENS = [
    "<|im_end|>", "<|im_start|>", "<|im_start|>user", "<|im_start|>assistant", "[INST]", "[/INST]",
    "<|eot_id|>", "<|start_header_id|>user<|end_header_id|>", "<|end_header_id|>", "</s>", "<s>",
    "<start_of_turn>user", "<end_of_turn>", "<start_of_turn>model", "<|endoftext|>", "<|user|>",
    "<|assistant|>", "<|end|>", "<|system|>", "<<SYS>>", "<</SYS>>", "### Instruction:", "### Response:",
    "<|eom_id|>", "[/INST] ",
]
# Second-person narration of the user's actions and feelings (god-modding): subject + predicate.
GOD_SUBJECTS = ["You", "You", "You", "Your heart", "Your hands", "A chill in your chest", "Your voice",
                "Without thinking, you", "Slowly, you", "Despite yourself, you", "For a moment you"]
GOD_PREDICATES = {
    "You": [
        "feel a wave of relief wash over you", "decide to trust {pronoun} after all", "nod and follow {pronoun} inside",
        "can't help but smile at that", "take a deep breath and step forward", "reach for the lantern without a word",
        "blush and look away", "agree to stay the night", "whisper that you're sorry", "feel your anger melt away",
        "grab the rope and start pulling", "realise you've been holding your breath", "sit down, suddenly exhausted",
        "laugh despite yourself", "tell {pronoun} everything about the accident", "shiver and pull your coat tighter",
        "feel tears sting your eyes", "hand over the letter, trembling", "are overcome with curiosity",
    ],
    "Your heart": ["pounds against your ribs", "skips a beat", "sinks as the words land", "races with excitement"],
    "Your hands": ["shake as you take the cup", "tighten into fists", "are cold and trembling"],
    "A chill in your chest": ["tells you something is very wrong", "spreads as you listen"],
    "Your voice": ["cracks as you answer", "comes out smaller than you meant"],
}
PRONOUNS = ["her", "him", "them"]

# --------------------------------------------------------------------------- synthetic-noise
AI_BOILERPLATE = [
    "As an AI language model, I don't have personal feelings, but I can describe what someone might feel.",
    "As an AI, I do not have personal experiences or opinions.",
    "I'm just an AI and cannot actually {verb}, but here is how it might go.",
    "As a large language model trained by OpenAI, I can't {verb}.",
    "Please note that as an artificial intelligence, I do not possess emotions or consciousness.",
    "It is important to remember that I am an AI assistant and my knowledge has a cutoff date.",
    "Being an AI model, I don't have the ability to {verb}; however, I can offer some thoughts.",
    "I am an AI developed to assist with questions, so I can't truly {verb}.",
    "As a language model, I have no personal preferences, but many people would say the following.",
    "Note: I'm an AI and this is a fictional response.",
    "(As an AI I can't actually {verb}, but I'll stay in character.)",
    "I don't have a physical body, as I'm a computer program, but I'll do my best.",
]
AI_VERBS = ["see the ocean", "travel in time", "taste food", "hold a sword", "feel the cold", "visit places",
            "remember past conversations", "have a favourite colour", "experience fear", "browse the internet"]
REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I'm sorry, but I cannot continue this roleplay.",
    "Sorry, I can't assist with that.",
    "I apologize, but I am unable to fulfill this request as it goes against my guidelines.",
    "I cannot comply with that request.",
    "I'm not able to provide that kind of content. Is there something else I can help you with?",
    "Unfortunately, I won't be able to write that. Let's talk about something else!",
    "I'm afraid I can't do that. It would violate the content policy.",
    "I must decline to continue with this scenario.",
    "As much as I'd like to help, this request isn't something I can engage with.",
    "I'm unable to generate a response to this prompt.",
    "My apologies, but I can't produce that.",
]
# Refusals are also composed from parts, so two injected refusals rarely share a sentence.
REFUSAL_PARTS = (
    ["I'm sorry, but", "Sorry,", "I apologize, but", "Unfortunately,", "My apologies, but", "I'm afraid", "Sorry, but",
     "I regret that", ""],
    ["I can't", "I cannot", "I'm unable to", "I am not able to", "I won't be able to", "I must decline to",
     "I'd rather not", "I'm not allowed to"],
    ["help with that request", "continue this roleplay", "write that", "assist with this", "create that kind of content",
     "engage with this scenario", "fulfill this request", "provide that information", "go on with this story",
     "describe that scene", "take part in this conversation"],
    ["", "", " as it goes against my guidelines", " because it violates the content policy", " as it could be harmful",
     " since it involves inappropriate content", " due to ethical concerns"],
    ["", "", " Is there anything else I can help you with?", " Perhaps we could explore a different topic?",
     " Let me know if there's something else you'd like to discuss.", " I'd be happy to help with something else."],
)
PLACEHOLDERS = ["{{char}}", "{{user}}", "{{Char}}", "[insert name]", "[Insert Name Here]", "[Your Name]",
                "<PLACEHOLDER>", "[CHARACTER_NAME]", "{name}", "INSERT_NAME_HERE", "[Company Name]",
                "<character>", "[NAME]", "{{random_name}}", "<<user_name>>", "[city]", "TODO", "XXXX"]
LOREM = [
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
    "lorem ipsum dolor sit amet",
    "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip. Lorem ipsum.",
]
UI_ARTIFACTS = [
    "Regenerate response", "Copy code", "1 / 2", "2 / 2", "Share", "Was this response better or worse?",
    "ChatGPT can make mistakes. Consider checking important information.", "Stop generating",
    "Edit message", "Like Dislike", "Continue generating", "Copy", "New chat", "Send a message",
    "Bing: Searching the web...", "Sources: [1] [2]", "\u25cf", "Show drafts", "Retry",
    "Free Research Preview.", "Message ChatGPT...", "Network error",
]
MOJIBAKE = {"\u2019": "\u00e2\u20ac\u2122", "\u2018": "\u00e2\u20ac\u02dc", "\u201c": "\u00e2\u20ac\u0153",
            "\u201d": "\u00e2\u20ac\u009d", "\u2014": "\u00e2\u20ac\u201d", "\u2013": "\u00e2\u20ac\u201c",
            "\u00e9": "\u00c3\u00a9", "\u00e8": "\u00c3\u00a8", "\u00e0": "\u00c3\u00a0", "\u2026": "\u00e2\u20ac\u00a6"}
HTML_ENTITIES = {"'": ["&#39;", "&#x27;", "&apos;", "&rsquo;"], "&": ["&amp;"], '"': ["&quot;", "&#34;"],
                 " ": ["&nbsp;"], "<": ["&lt;"], ">": ["&gt;"]}
# Generator tics: stock phrases that pile up in synthetic prose. Sentences built from them.
STOCK_SENTENCES = [
    "The air was thick with anticipation.", "It was a testament to the unbreakable bond they shared.",
    "A shiver ran down {pronoun} spine.", "{Pronoun} voice was barely above a whisper.",
    "Little did they know, this was only the beginning.", "The world seemed to hold its breath.",
    "Eyes sparkling with mischief, {pronoun2} leaned closer.", "It was a dance as old as time itself.",
    "In the grand tapestry of life, every thread matters.", "A symphony of emotions swirled within.",
    "The weight of the moment hung heavy in the air.", "Time seemed to stand still.",
    "Something shifted between them, something unspoken yet profound.",
    "With a mix of excitement and trepidation, the journey began.",
    "Together, they would face whatever challenges lay ahead.", "The possibilities were endless.",
    "It was a bittersweet reminder of all they had overcome.", "A smirk played on {pronoun} lips.",
    "The stakes had never been higher.", "Unbeknownst to them, fate had other plans.",
    "Every fiber of {pronoun} being screamed to run.", "Their hearts beat as one.",
    "A newfound sense of purpose bloomed within.", "The silence was deafening.",
]

# --------------------------------------------------------------------------- weak-turn
ACKS = ["Okay.", "Sure thing!", "I see.", "Got it.", "Alright.", "Noted.", "Understood!", "Mm-hmm.",
        "Sounds good.", "OK!", "Right.", "Cool.", "Yes.", "Of course.", "Will do.", "Sure.", "Hmm, okay.",
        "Ah, I see.", "Indeed.", "Absolutely!", "Fair enough.", "Yep.", "Great!", "Okay then.", "Very well.",
        "No problem!", "Interesting.", "Makes sense.", "Gotcha.", "Certainly."]
ACK_ACTIONS = ["*nods*", "*shrugs*", "*smiles*", "*nods slowly.*", "(nods)", "*hums*"]
ECHO_PREFIXES = ["", "", "", "So, ", "You said: ", "You asked: ", "Right, ", "Let me repeat that: ", "> ",
                 "Question: ", "Ah, "]

# --------------------------------------------------------------------------- repetition
# Meaning-preserving swaps for near-duplicates (both directions are used).
SYNONYMS = [
    ("big", "large"), ("small", "little"), ("quickly", "rapidly"), ("begin", "start"), ("help", "assist"),
    ("show", "demonstrate"), ("often", "frequently"), ("maybe", "perhaps"), ("about", "around"),
    ("very", "really"), ("important", "crucial"), ("also", "additionally"), ("however", "but"),
    ("look", "glance"), ("said", "replied"), ("quiet", "silent"), ("old", "ancient"), ("fast", "quick"),
    ("find", "discover"), ("use", "employ"), ("many", "numerous"), ("great", "excellent"),
    ("house", "home"), ("walk", "stroll"), ("believe", "think"), ("shows", "reveals"), ("make", "create"),
]
CATCHPHRASES = [
    "Ah, my dear friend, ", "Well now, isn't that something. ", "By the stars above, ", "Heh, you know what they say: ",
    "Mark my words, ", "Oh-ho, what have we here? ", "As sure as the tide turns, ", "Listen closely, traveller. ",
    "Buckle up, buttercup! ", "Let me tell you a little secret: ", "Now, here's the thing, ", "Goodness gracious, ",
    "In all my years, ", "Ah, the eternal question. ", "Truth be told, old sport, ",
]
CATCHPHRASE_CLOSERS = [
    " And that, my friend, is the long and short of it.", " Such is the way of things.", " Stay curious!",
    " Until next time, keep your chin up.", " Remember: the journey matters more than the map.",
    " Onward and upward, as always.", " Mark my words on that.",
]

# --------------------------------------------------------------------------- contradiction
# Meaning-changing flips for contradicting answers (applied one way only).
FLIPS = [
    (" I can ", " I cannot "), (" you can ", " you cannot "), (" we can ", " we cannot "), (" it can ", " it cannot "),
    (" will be ", " will not be "), (" is a ", " is not a "), (" is the ", " is not the "), (" is very ", " is hardly "),
    (" are the ", " are not the "), (" should ", " should never "), (" always ", " never "), (" never ", " always "),
    (" more ", " less "), (" increase", " decrease"), (" safe", " dangerous"), (" true", " false"),
    (" before ", " after "), (" north", " south"), (" guilty", " innocent"), (" love ", " hate "),
    (" easy", " impossible"), (" agree", " disagree"), (" possible", " impossible"), (" must ", " must not "),
    (" was a ", " was never a "), (" I would ", " I would never "), (" important", " unimportant"),
    (" best ", " worst "), (" success", " failure"), (" strong", " weak"), (" first ", " last "),
]
VERDICT_OPENERS = ["No.", "No, not at all.", "Absolutely not.", "Actually, the opposite is true.",
                   "Yes, definitely.", "Yes.", "Of course not.", "That's wrong."]

# --------------------------------------------------------------------------- formatting
ACTION_STYLES = [("(", ")"), ("[", "]"), ("_", "_"), ("~", "~"), ("<", ">"), ("**", "**"), ("//", "//")]
QUOTE_STYLES = [("\u201c", "\u201d"), ("'", "'"), ("\u00ab", "\u00bb"), ("\u2018", "\u2019"), ("\u201e", "\u201c")]
MD_HEADERS = ["## {title}", "# {title}", "### {title}", "**{title}**", "{title}\n---", "#### {title}:"]
MD_TITLES = ["Overview", "The Scene", "My Answer", "Summary", "Key Points", "Response", "Part 1", "Details",
             "What Happens Next", "Notes", "Background", "The Plan"]
NAME_POOL = ["Mira", "Captain Vale", "Eldric", "Professor Hale", "Detective", "Narrator", "Rowan", "Lady Ashby",
             "Kai", "Grandma June", "Sergeant", "The Oracle"]
NAME_STYLES = ["{name}: ", "{name}:\n", "**{name}:** ", "{NAME}: ", "{name} - ", "[{name}] ", "{name} says: "]

# --------------------------------------------------------------------------- filler
SIGN_OFFS = [
    "I hope this helps!", "Let me know if you have any other questions.", "Hope that helps! \U0001F60A",
    "Feel free to ask if you need anything else.", "Let me know if there's anything else I can do for you!",
    "I hope you found this helpful.", "Happy to help further if needed!", "Is there anything else you'd like to know?",
    "Don't hesitate to reach out with more questions.", "I hope this answers your question!",
    "Let me know how it goes!", "Good luck, and have a wonderful day!", "Hope this gives you some ideas!",
    "If you'd like, I can expand on any of these points.", "I hope that clears things up.",
    "Feel free to let me know if you want me to continue the story!", "Enjoy, and let me know what you think!",
    "Thanks for asking such an interesting question!", "Let me know if you'd like more details on any part.",
    "I'm here if you need anything else.",
]
OPENERS = [
    "Certainly! Here's {thing}:", "Great question!", "Absolutely, I'd be happy to help with that.",
    "What a fascinating request!", "Of course! Let's dive in.", "Sure, here is {thing} for your prompt:",
    "Sure thing! Here you go:", "Thank you for your question.", "I'd be glad to help!",
    "That's a really interesting scenario.", "Ah, what a wonderful idea for a story!",
    "Okay, here's {thing}.", "Alright, let's get started!", "Excellent question, let me explain.",
    "Happy to help! Below is {thing}.", "Sure! I can do that.", "Oh, I love this prompt!",
    "Here's {thing} based on your request:", "Absolutely! Here is {thing}:", "What a great prompt to work with!",
]
OPENER_THINGS = ["a detailed response", "my answer", "the scene", "a possible version", "an overview",
                 "a short piece", "what I came up with", "the story you asked for"]
OFF_TOPIC = [
    "On a completely different note, the best way to store fresh basil is upright in a glass of water at room "
    "temperature, loosely covered with a plastic bag, which keeps the leaves from blackening for about a week.",
    "Fun fact: octopuses have three hearts and blue blood, and two of those hearts stop beating when the animal "
    "swims, which is one reason they prefer crawling along the sea floor.",
    "If you are looking for a reliable VPN service for streaming, make sure to check providers that offer a "
    "no-logs policy, fast servers in multiple countries and a thirty-day money-back guarantee.",
    "Remember that quarterly estimated tax payments for self-employed workers are due in April, June, September "
    "and January, and missing one can lead to penalties and interest charges.",
    "The 1998 World Cup final in Paris ended three goals to nil, with two headers from corners and a late "
    "counter-attack that sealed the result in stoppage time.",
    "To reset most home routers, hold the recessed button on the back for thirty seconds with a paperclip, wait "
    "for the lights to cycle, and then log in with the credentials printed on the label.",
    "Click here to subscribe to our newsletter and get twenty percent off your first order of premium coffee "
    "beans, roasted fresh every Monday and shipped within two business days.",
    "In spreadsheet software, a pivot table summarises rows by grouping them on one column and aggregating "
    "another, which is useful for monthly sales reports and budget tracking.",
    "Sourdough starter needs feeding once a day at room temperature, or once a week if it lives in the fridge; a "
    "ratio of one part starter to one part flour and water by weight works well.",
    "The mitochondria is often called the powerhouse of the cell because it produces adenosine triphosphate "
    "through oxidative phosphorylation across its inner membrane.",
    "Top ten tips for a better night's sleep include keeping the bedroom cool, avoiding screens for an hour "
    "before bed, limiting caffeine after noon and going to bed at the same time every night.",
    "Our lawn mower review found that battery models now match petrol ones for small gardens, though cutting "
    "width and blade height adjustment still vary a lot between brands.",
    "Python list comprehensions are usually faster than equivalent for loops that append, because the loop runs "
    "in optimised bytecode without repeated attribute lookups.",
    "The annual shareholder meeting will be held virtually this year; proxy voting materials were mailed to "
    "registered holders and must be returned before the record date.",
    "As of this writing, mortgage rates have risen for the third consecutive week, pushing the average thirty-"
    "year fixed rate above where it stood at the start of the year.",
    "Knitting a scarf is a good first project: cast on thirty stitches with medium-weight yarn and size eight "
    "needles, then use garter stitch until it reaches the length you want.",
]

# --------------------------------------------------------------------------- privacy
FIRST_NAMES = ["john", "maria", "wei", "priya", "olu", "sven", "ana", "tomasz", "keiko", "liam", "fatima", "diego"]
LAST_NAMES = ["smith", "garcia", "chen", "patel", "okafor", "larsen", "kowalski", "tanaka", "obrien", "haddad"]
EMAIL_DOMAINS = ["gmail.com", "yahoo.co.uk", "outlook.com", "proton.me", "example-corp.com", "uni-heidelberg.de",
                 "mail.ru", "icloud.com", "company.io", "hotmail.fr"]
PRIVACY_TEMPLATES = {
    "email": ["You can reach me at {x}.", "email me: {x}", "Send the files to {x} when you're done.",
              "My address is {x} if you need it.", "(contact: {x})", "Write to {x} and mention this chat."],
    "phone": ["Call me on {x}.", "my number is {x}", "You can text {x} after six.", "Phone: {x}",
              "Ring the office at {x} tomorrow.", "reach me at {x} anytime"],
    "api-key": ["Here's my key: {x}", "Use this token {x} in the header.", "OPENAI_API_KEY={x}",
                "I set the secret to {x} but it still fails.", "export TOKEN=\"{x}\"", "the key is {x}, right?"],
    "card": ["My card number is {x}, expiry 04/27.", "Charge it to {x}.", "card: {x} cvv 123",
             "I paid with {x} and it was declined.", "Use the card ending... actually the full number is {x}."],
    "ipv4": ["The server is at {x}.", "ssh into {x} and restart it.", "My home IP is {x}.",
             "ping {x} to check", "Connect to {x}:8080 for the dashboard.", "It resolved to {x} last night."],
}
