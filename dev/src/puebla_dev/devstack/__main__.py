from puebla_dev.devstack.stack import main

raise SystemExit(main())
