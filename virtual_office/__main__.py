from virtual_office.cli import main

main()
