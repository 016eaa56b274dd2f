"""Name parts for synthetic agents: common Chinese names (all in GBK) and Latin names."""

CHINESE_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳解强丛华车冉房边")
CHINESE_SURNAMES += ["欧阳", "司马", "上官", "诸葛"]
CHINESE_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆帅旭宁龙林欣瑶婷雪琳晨辰颖琪悦涵梓轩子墨雨泽思博文昊然嘉怡佳慧晓倩露蕾婧妍")
LATIN_FIRST = [
    "James", "Mary", "John", "Linda", "David", "Susan", "Michael", "Karen", "Daniel", "Lisa", "Kevin",
    "Nancy", "Jason", "Emily", "Ryan", "Grace", "Eric", "Helen", "Tony", "Amy", "Peter", "Anna",
    "Leo", "Sophie", "Oliver", "Chloe", "Lucas", "Mia", "Ethan", "Zoe", "Nathan", "Ivy", "Marco",
    "Elena", "Ahmed", "Fatima", "Raj", "Priya", "Kenji", "Yuki", "Minh", "Linh", "Carlos", "Sofia",
]
LATIN_LAST = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Martin", "Clark", "Lewis", "Walker", "Young",
    "King", "Wright", "Lopez", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell",
    "Chan", "Wong", "Lee", "Ng", "Tan", "Lim", "Nguyen", "Tran", "Kim", "Park", "Sato", "Tanaka",
    "Rossi", "Garcia", "Silva", "Khan", "Patel", "Singh", "Murphy", "O'Brien", "van Dijk", "Schmidt",
]
SITES = ["上海浦东", "成都高新", "武汉光谷", "Dalian Software Park", "西安高新", "Guangzhou Tianhe"]
COMPLAINT_CATEGORIES = ["服务态度", "业务解答错误", "等待时间过长", "问题未解决", "费用争议", "隐私泄露", "承诺未兑现"]
