type Webfront::Port = Integer[1, 65535]
