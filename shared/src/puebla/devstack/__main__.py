from puebla.devstack.stack import main

raise SystemExit(main())
