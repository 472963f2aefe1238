from wikisocial.cli import main

main()
