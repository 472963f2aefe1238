from wikisocial.posts.language import detect_language


def test_detects_the_language_of_real_sentences():
    assert detect_language("Mañana editamos Wikipedia juntos en la biblioteca municipal.") == "es"
    assert detect_language("Heute treffen wir uns zum Wikipedia-Stammtisch in Berlin.") == "de"
    assert detect_language("I just uploaded photos of the old cathedral to Commons.") == "en"


def test_abstains_when_unsure_or_too_short():
    assert detect_language("ok") == ""
    assert detect_language("https://example.org #wiki @ana [[Foo]]") == ""
    assert detect_language("") == ""
