"""Text for the TTS engines. The bona fide side is mostly isolated letters,
digits, words and short IVR prompts; to reduce that content confound the
spoofs speak the same kinds of items (letters, numbers, prompt-like phrases
made from the asterisk prompt names) as well as full sentences.

Written for this project; no external text corpus is needed.
"""

LETTERS = {
    "en": list("abcdefghijklmnopqrstuvwxyz"),
    "es": list("abcdefghijklmnñopqrstuvwxyz"),
    "fr": list("abcdefghijklmnopqrstuvwxyz"),
    "it": list("abcdefghilmnopqrstuvz"),
    "de": list("abcdefghijklmnopqrstuvwxyzäöü"),
    "cs": list("aábcčdďeéěfghiíjklmnňoópqrřsštťuúůvwxyýzž"),
    "nl": list("abcdefghijklmnopqrstuvwxyz"),
    "ru": list("абвгдеёжзийклмнопрстуфхцчшщъыьэюя"),
    "fi": list("abcdefghijklmnopqrstuvwxyzåäö"),
    "ca": list("abcdefghijklmnopqrstuvwxyz"),
}

# Short words: digits are written as numerals so every voice reads them in its
# own language; a few common words per language.
WORDS = {
    "en": "yes no hello goodbye please thank you sorry help menu press one two three zero "
          "star pound operator message mailbox password extension again welcome".split(),
    "es": "sí no hola adiós gracias por favor ayuda mensaje buzón contraseña extensión "
          "otra vez bienvenido marque uno dos tres cero".split(),
    "fr": "oui non bonjour au revoir merci s'il vous plaît aide message boîte mot de passe "
          "poste encore bienvenue appuyez un deux trois zéro".split(),
    "it": "sì no ciao arrivederci grazie per favore aiuto messaggio casella password "
          "interno ancora benvenuto premere uno due tre zero".split(),
    "de": "ja nein hallo tschüss danke bitte hilfe nachricht postfach kennwort nebenstelle "
          "nochmal willkommen drücken eins zwei drei null".split(),
    "cs": "ano ne ahoj nashledanou děkuji prosím pomoc zpráva heslo znovu vítejte stiskněte "
          "jedna dva tři nula ryba voda".split(),
    "nl": "ja nee hallo dag dank je alstublieft help bericht wachtwoord opnieuw welkom "
          "druk één twee drie nul vis water".split(),
    "ru": "да нет привет пока спасибо пожалуйста помощь сообщение пароль снова добро "
          "пожаловать нажмите один два три ноль".split(),
    "fi": "kyllä ei hei näkemiin kiitos ole hyvä apua viesti salasana uudelleen tervetuloa "
          "paina yksi kaksi kolme nolla".split(),
    "ca": "sí no hola adéu gràcies si us plau ajuda missatge contrasenya benvingut "
          "premeu un dos tres zero".split(),
}

SENTENCES = {
    "en": [
        "Please hold while we connect your call.",
        "The person you are calling is not available.",
        "Your call is important to us.",
        "The weather today will be cloudy with light rain in the afternoon.",
        "Press one to repeat this message, or press two to continue.",
        "We have received your payment, thank you.",
        "The next train to the airport leaves in twelve minutes.",
        "I would like to book a table for two at eight o'clock.",
        "The meeting has been moved to Thursday morning.",
        "Small fish swim together to stay safe from larger ones.",
        "Please enter your account number followed by the pound key.",
        "All of our agents are currently busy.",
        "The library closes at six on weekdays.",
        "She opened the window and listened to the birds.",
        "Turn left at the next intersection.",
        "The battery is low, please connect the charger.",
        "Your voicemail box is full.",
        "It is a quarter past three in the afternoon.",
        "Can you tell me the way to the station?",
        "The quick brown fox jumps over the lazy dog.",
    ],
    "es": [
        "Por favor, espere mientras conectamos su llamada.",
        "La persona a la que llama no está disponible.",
        "El próximo tren sale en diez minutos.",
        "Hoy hará sol por la mañana y lloverá por la tarde.",
        "Marque uno para repetir este mensaje.",
        "Gracias por su paciencia.",
        "La reunión se ha cambiado al jueves.",
        "Su buzón de voz está lleno.",
    ],
    "fr": [
        "Veuillez patienter, nous transférons votre appel.",
        "Votre correspondant n'est pas disponible.",
        "Le prochain train part dans dix minutes.",
        "Il fera beau ce matin et il pleuvra cet après-midi.",
        "Appuyez sur un pour réécouter ce message.",
        "Merci de votre patience.",
        "La réunion est déplacée à jeudi.",
        "Votre messagerie vocale est pleine.",
    ],
    "it": [
        "Attenda in linea, stiamo trasferendo la chiamata.",
        "La persona chiamata non è al momento raggiungibile.",
        "Il prossimo treno parte tra dieci minuti.",
        "Oggi il tempo sarà nuvoloso con piogge nel pomeriggio.",
        "Prema uno per riascoltare il messaggio.",
        "Grazie per la sua pazienza.",
        "La riunione è stata spostata a giovedì.",
        "La sua casella vocale è piena.",
    ],
    "de": [
        "Bitte warten Sie, wir verbinden Ihren Anruf.",
        "Der gewünschte Gesprächspartner ist nicht erreichbar.",
        "Der nächste Zug fährt in zehn Minuten.",
        "Heute wird es bewölkt mit leichtem Regen.",
        "Drücken Sie die Eins, um diese Nachricht zu wiederholen.",
        "Vielen Dank für Ihre Geduld.",
    ],
    "cs": [
        "Prosím vydržte, spojujeme váš hovor.",
        "Volaný účastník není dostupný.",
        "Další vlak odjíždí za deset minut.",
        "Dnes bude zataženo a odpoledne bude pršet.",
        "Malá ryba plave rychle pryč.",
        "Děkujeme za vaši trpělivost.",
    ],
    "nl": [
        "Een ogenblik geduld, wij verbinden u door.",
        "Het nummer dat u belt is niet bereikbaar.",
        "De volgende trein vertrekt over tien minuten.",
        "Vandaag wordt het bewolkt met lichte regen.",
        "De kleine vis zwemt snel weg.",
        "Bedankt voor uw geduld.",
    ],
    "ru": [
        "Пожалуйста, подождите, мы соединяем вас.",
        "Абонент временно недоступен.",
        "Следующий поезд отправляется через десять минут.",
        "Сегодня будет облачно, днём небольшой дождь.",
        "Нажмите один, чтобы прослушать сообщение ещё раз.",
        "Спасибо за ваше терпение.",
    ],
    "fi": [
        "Odota hetki, yhdistämme puhelusi.",
        "Tavoittelemasi henkilö ei ole tavoitettavissa.",
        "Seuraava juna lähtee kymmenen minuutin kuluttua.",
        "Tänään on pilvistä ja iltapäivällä sataa.",
        "Kiitos kärsivällisyydestäsi.",
    ],
    "ca": [
        "Si us plau, esperi mentre connectem la seva trucada.",
        "El proper tren surt d'aquí a deu minuts.",
        "Avui farà sol al matí i plourà a la tarda.",
        "Gràcies per la seva paciència.",
    ],
}


def prompt_phrases(asterisk_dir):
    """Prompt-like English phrases from the asterisk prompt file names
    ("all-circuits-busy-now" -> "all circuits busy now")."""
    import os
    out = []
    d = os.path.join(asterisk_dir, "en_US_f_Allison")
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            if f.endswith(".wav"):
                words = f[:-4].replace("_", " ").replace("-", " ").split()
                if words and all(w.isalpha() for w in words):
                    out.append(" ".join(words))
    return out


def items_for(lang, n, rng, prompts=()):
    """n text items for a voice of `lang`: roughly a third letters/digits,
    a third words/prompts, a third sentences (falls back to English text
    for languages without sentences, as an accented voice would speak it)."""
    L = LETTERS.get(lang, LETTERS["en"])
    W = WORDS.get(lang, WORDS["en"])
    S = SENTENCES.get(lang, SENTENCES["en"])
    P = list(prompts) if lang == "en" else []
    out = []
    for i in range(n):
        r = i % 3
        if r == 0:
            if rng.random() < 0.5:
                out.append(L[rng.integers(len(L))])
            else:
                out.append(str(rng.integers(0, 100)))
        elif r == 1:
            if P and rng.random() < 0.5:
                out.append(P[rng.integers(len(P))])
            else:
                out.append(W[rng.integers(len(W))])
        else:
            out.append(S[rng.integers(len(S))])
    return out
